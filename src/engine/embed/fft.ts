/**
 * Complex 2-D FFTs in plain JS for the t-SNE repulsion convolution on backends
 * without TensorFlow's own FFT (wasm, cpu): fft2d(size) picks
 *
 *   Fft2dRadix2  powers of two: in-place radix-2, rows one by one, then all
 *                columns at once with the inner loop along a row;
 *   Fft2dMixed   any size with prime factors 2, 3, 5 (so a grid need not be
 *                rounded up to the next power of two, up to ~4x the work):
 *                Stockham autosort, radix 4/2/3/5, batched along the first axis
 *                over blocks of columns (sequential inner loops, blocks stay in
 *                cache); columns, transpose, columns, so its forward() leaves the
 *                spectrum transposed. That costs nothing here: spectra are only
 *                multiplied pointwise with a kernel transformed the same way,
 *                and inverse() transposes back.
 *
 * Separate real and imaginary Float64Arrays, row-major; inverse transforms
 * omit the 1/size^2 factor.
 */

/** Is every prime factor of n one of 2, 3, 5? */
export function isSmooth(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  for (const p of [2, 3, 5]) while (n % p === 0) n /= p;
  return n === 1;
}

/** Columns per block: n x 64 x 2 arrays x 8 bytes stays in L2 for the sizes used here. */
const COL_BLOCK = 64;

/** Radices for n, fours first (fewest passes). */
function factorize(n: number): number[] {
  const out: number[] = [];
  while (n % 4 === 0) {
    out.push(4);
    n /= 4;
  }
  for (const p of [2, 3, 5]) {
    while (n % p === 0) {
      out.push(p);
      n /= p;
    }
  }
  if (n !== 1) throw new RangeError('FFT size must have only the prime factors 2, 3 and 5');
  return out;
}

/**
 * Batched 1-D FFT of length n along the first axis, for columns [0, cols) of a
 * row-major [n][stride] array. Forward uses exp(-2 pi i jk / n); inverse
 * exp(+...) without the 1/n factor.
 */
export class Fft1dColumns {
  readonly n: number;
  private readonly radices: number[];
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private sRe = new Float64Array(0);
  private sIm = new Float64Array(0);

  constructor(n: number) {
    this.n = n;
    this.radices = n === 1 ? [] : factorize(n);
    // exp(-2 pi i k / n), k < n
    this.cos = new Float64Array(n);
    this.sin = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
  }

  transform(re: Float64Array, im: Float64Array, stride: number, cols: number, inverse: boolean): void {
    const n = this.n;
    if (this.sRe.length < n * stride) {
      this.sRe = new Float64Array(n * stride);
      this.sIm = new Float64Array(n * stride);
    }
    // Blocks of columns go through every pass while they are still in cache.
    for (let c0 = 0; c0 < cols; c0 += COL_BLOCK) this.block(re, im, stride, c0, Math.min(cols, c0 + COL_BLOCK), inverse);
  }

  private block(re: Float64Array, im: Float64Array, stride: number, c0: number, c1: number, inverse: boolean): void {
    const n = this.n;
    let aRe: Float64Array = re;
    let aIm: Float64Array = im;
    let bRe: Float64Array = this.sRe;
    let bIm: Float64Array = this.sIm;
    const sgn = inverse ? -1 : 1;
    let l = 1; // length of the transforms already done
    for (const r of this.radices) {
      const m = n / (l * r); // groups left after this pass
      // A[k][j] (k < m r, j < l) at row k l + j; B[k''][j + l p] at row k'' r l + j + l p
      for (let k = 0; k < m; k++) {
        for (let j = 0; j < l; j++) {
          // twiddles w^(s j) with w = exp(-2 pi i / (r l)) = table step n / (r l) = m
          const outBase = k * r * l + j;
          if (r === 4) this.radix4(aRe, aIm, bRe, bIm, stride, c0, c1, k, j, l, m, outBase, sgn);
          else if (r === 2) this.radix2(aRe, aIm, bRe, bIm, stride, c0, c1, k, j, l, m, outBase, sgn);
          else if (r === 3) this.radix3(aRe, aIm, bRe, bIm, stride, c0, c1, k, j, l, m, outBase, sgn);
          else this.radix5(aRe, aIm, bRe, bIm, stride, c0, c1, k, j, l, m, outBase, sgn);
        }
      }
      [aRe, bRe] = [bRe, aRe];
      [aIm, bIm] = [bIm, aIm];
      l *= r;
    }
    if (aRe !== re) {
      for (let row = 0; row < n; row++) {
        const o = row * stride;
        for (let c = c0; c < c1; c++) {
          re[o + c] = aRe[o + c]!;
          im[o + c] = aIm[o + c]!;
        }
      }
    }
  }

  private radix2(aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array, stride: number, c0: number, c1: number, k: number, j: number, l: number, m: number, outBase: number, sgn: number): void {
    const t = (j * m) % this.n;
    const wr = this.cos[t]!;
    const wi = sgn * this.sin[t]!;
    const i0 = (k * l + j) * stride;
    const i1 = ((k + m) * l + j) * stride;
    const o0 = outBase * stride;
    const o1 = (outBase + l) * stride;
    for (let c = c0; c < c1; c++) {
      const ar = aRe[i0 + c]!;
      const ai = aIm[i0 + c]!;
      const xr = aRe[i1 + c]!;
      const xi = aIm[i1 + c]!;
      const br = xr * wr - xi * wi;
      const bi = xr * wi + xi * wr;
      bRe[o0 + c] = ar + br;
      bIm[o0 + c] = ai + bi;
      bRe[o1 + c] = ar - br;
      bIm[o1 + c] = ai - bi;
    }
  }

  private radix4(aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array, stride: number, c0: number, c1: number, k: number, j: number, l: number, m: number, outBase: number, sgn: number): void {
    const n = this.n;
    const t1 = (j * m) % n;
    const t2 = (2 * j * m) % n;
    const t3 = (3 * j * m) % n;
    const w1r = this.cos[t1]!;
    const w1i = sgn * this.sin[t1]!;
    const w2r = this.cos[t2]!;
    const w2i = sgn * this.sin[t2]!;
    const w3r = this.cos[t3]!;
    const w3i = sgn * this.sin[t3]!;
    const i0 = (k * l + j) * stride;
    const i1 = ((k + m) * l + j) * stride;
    const i2 = ((k + 2 * m) * l + j) * stride;
    const i3 = ((k + 3 * m) * l + j) * stride;
    const o0 = outBase * stride;
    const o1 = (outBase + l) * stride;
    const o2 = (outBase + 2 * l) * stride;
    const o3 = (outBase + 3 * l) * stride;
    for (let c = c0; c < c1; c++) {
      const a0r = aRe[i0 + c]!;
      const a0i = aIm[i0 + c]!;
      let xr = aRe[i1 + c]!;
      let xi = aIm[i1 + c]!;
      const a1r = xr * w1r - xi * w1i;
      const a1i = xr * w1i + xi * w1r;
      xr = aRe[i2 + c]!;
      xi = aIm[i2 + c]!;
      const a2r = xr * w2r - xi * w2i;
      const a2i = xr * w2i + xi * w2r;
      xr = aRe[i3 + c]!;
      xi = aIm[i3 + c]!;
      const a3r = xr * w3r - xi * w3i;
      const a3i = xr * w3i + xi * w3r;
      const t0r = a0r + a2r;
      const t0i = a0i + a2i;
      const t1r = a0r - a2r;
      const t1i = a0i - a2i;
      const t2r = a1r + a3r;
      const t2i = a1i + a3i;
      // (a1 - a3) times -i (forward) or +i (inverse)
      const t3r = sgn * (a1i - a3i);
      const t3i = -sgn * (a1r - a3r);
      bRe[o0 + c] = t0r + t2r;
      bIm[o0 + c] = t0i + t2i;
      bRe[o2 + c] = t0r - t2r;
      bIm[o2 + c] = t0i - t2i;
      bRe[o1 + c] = t1r + t3r;
      bIm[o1 + c] = t1i + t3i;
      bRe[o3 + c] = t1r - t3r;
      bIm[o3 + c] = t1i - t3i;
    }
  }

  private radix3(aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array, stride: number, c0: number, c1: number, k: number, j: number, l: number, m: number, outBase: number, sgn: number): void {
    const n = this.n;
    const t1 = (j * m) % n;
    const t2 = (2 * j * m) % n;
    const w1r = this.cos[t1]!;
    const w1i = sgn * this.sin[t1]!;
    const w2r = this.cos[t2]!;
    const w2i = sgn * this.sin[t2]!;
    const h = (sgn * Math.sqrt(3)) / 2;
    const i0 = (k * l + j) * stride;
    const i1 = ((k + m) * l + j) * stride;
    const i2 = ((k + 2 * m) * l + j) * stride;
    const o0 = outBase * stride;
    const o1 = (outBase + l) * stride;
    const o2 = (outBase + 2 * l) * stride;
    for (let c = c0; c < c1; c++) {
      const a0r = aRe[i0 + c]!;
      const a0i = aIm[i0 + c]!;
      let xr = aRe[i1 + c]!;
      let xi = aIm[i1 + c]!;
      const a1r = xr * w1r - xi * w1i;
      const a1i = xr * w1i + xi * w1r;
      xr = aRe[i2 + c]!;
      xi = aIm[i2 + c]!;
      const a2r = xr * w2r - xi * w2i;
      const a2i = xr * w2i + xi * w2r;
      const sr = a1r + a2r;
      const si = a1i + a2i;
      const dr = a1r - a2r;
      const di = a1i - a2i;
      const mr = a0r - sr / 2;
      const mi = a0i - si / 2;
      bRe[o0 + c] = a0r + sr;
      bIm[o0 + c] = a0i + si;
      // out1 = m - i h d, out2 = m + i h d  (h carries the direction's sign)
      bRe[o1 + c] = mr + h * di;
      bIm[o1 + c] = mi - h * dr;
      bRe[o2 + c] = mr - h * di;
      bIm[o2 + c] = mi + h * dr;
    }
  }

  private radix5(aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array, stride: number, c0: number, c1: number, k: number, j: number, l: number, m: number, outBase: number, sgn: number): void {
    const n = this.n;
    const w: number[] = [];
    for (let s = 1; s < 5; s++) {
      const t = (s * j * m) % n;
      w.push(this.cos[t]!, sgn * this.sin[t]!);
    }
    const [w1r, w1i, w2r, w2i, w3r, w3i, w4r, w4i] = w as [number, number, number, number, number, number, number, number];
    const c1c = Math.cos((2 * Math.PI) / 5);
    const c2c = Math.cos((4 * Math.PI) / 5);
    const s1 = sgn * Math.sin((2 * Math.PI) / 5);
    const s2 = sgn * Math.sin((4 * Math.PI) / 5);
    const i0 = (k * l + j) * stride;
    const i1 = ((k + m) * l + j) * stride;
    const i2 = ((k + 2 * m) * l + j) * stride;
    const i3 = ((k + 3 * m) * l + j) * stride;
    const i4 = ((k + 4 * m) * l + j) * stride;
    const o0 = outBase * stride;
    const o1 = (outBase + l) * stride;
    const o2 = (outBase + 2 * l) * stride;
    const o3 = (outBase + 3 * l) * stride;
    const o4 = (outBase + 4 * l) * stride;
    for (let c = c0; c < c1; c++) {
      const a0r = aRe[i0 + c]!;
      const a0i = aIm[i0 + c]!;
      let xr = aRe[i1 + c]!;
      let xi = aIm[i1 + c]!;
      const a1r = xr * w1r - xi * w1i;
      const a1i = xr * w1i + xi * w1r;
      xr = aRe[i2 + c]!;
      xi = aIm[i2 + c]!;
      const a2r = xr * w2r - xi * w2i;
      const a2i = xr * w2i + xi * w2r;
      xr = aRe[i3 + c]!;
      xi = aIm[i3 + c]!;
      const a3r = xr * w3r - xi * w3i;
      const a3i = xr * w3i + xi * w3r;
      xr = aRe[i4 + c]!;
      xi = aIm[i4 + c]!;
      const a4r = xr * w4r - xi * w4i;
      const a4i = xr * w4i + xi * w4r;
      const b1r = a1r + a4r;
      const b1i = a1i + a4i;
      const b2r = a2r + a3r;
      const b2i = a2i + a3i;
      const d1r = a1r - a4r;
      const d1i = a1i - a4i;
      const d2r = a2r - a3r;
      const d2i = a2i - a3i;
      bRe[o0 + c] = a0r + b1r + b2r;
      bIm[o0 + c] = a0i + b1i + b2i;
      // out1,4 = a0 + c1 b1 + c2 b2 -/+ i (s1 d1 + s2 d2); out2,3 = a0 + c2 b1 + c1 b2 -/+ i (s2 d1 - s1 d2)
      const m1r = a0r + c1c * b1r + c2c * b2r;
      const m1i = a0i + c1c * b1i + c2c * b2i;
      const e1r = s1 * d1r + s2 * d2r;
      const e1i = s1 * d1i + s2 * d2i;
      const m2r = a0r + c2c * b1r + c1c * b2r;
      const m2i = a0i + c2c * b1i + c1c * b2i;
      const e2r = s2 * d1r - s1 * d2r;
      const e2i = s2 * d1i - s1 * d2i;
      bRe[o1 + c] = m1r + e1i;
      bIm[o1 + c] = m1i - e1r;
      bRe[o4 + c] = m1r - e1i;
      bIm[o4 + c] = m1i + e1r;
      bRe[o2 + c] = m2r + e2i;
      bIm[o2 + c] = m2i - e2r;
      bRe[o3 + c] = m2r - e2i;
      bIm[o3 + c] = m2i + e2r;
    }
  }
}

/** In-place transpose of a square size x size array. */
function transpose(a: Float64Array, size: number): void {
  const B = 32;
  for (let r0 = 0; r0 < size; r0 += B) {
    for (let c0 = r0; c0 < size; c0 += B) {
      const r1 = Math.min(size, r0 + B);
      const c1 = Math.min(size, c0 + B);
      for (let r = r0; r < r1; r++) {
        for (let c = c0 === r0 ? r + 1 : c0; c < c1; c++) {
          const x = a[r * size + c]!;
          a[r * size + c] = a[c * size + r]!;
          a[c * size + r] = x;
        }
      }
    }
  }
}

/** A square 2-D FFT; `transposed` says whether forward() leaves the spectrum transposed (inverse() undoes either). */
export interface Fft2dPlan {
  readonly size: number;
  readonly transposed: boolean;
  /** only the block [0, nonzero) x [0, nonzero) of the input may be non-zero */
  forward(re: Float64Array, im: Float64Array, nonzero?: number): void;
  /** without the 1/size^2 factor; only the block [0, needed) x [0, needed) of the output is valid */
  inverse(re: Float64Array, im: Float64Array, needed?: number): void;
}

/**
 * Mixed-radix 2-D FFT (size with prime factors 2, 3, 5): columns, transpose,
 * columns, so forward() leaves the spectrum transposed.
 */
export class Fft2dMixed implements Fft2dPlan {
  readonly size: number;
  readonly transposed = true;
  private readonly fft: Fft1dColumns;

  constructor(size: number) {
    if (!isSmooth(size) || size < 2) throw new RangeError(`FFT size must be >= 2 with prime factors 2, 3, 5 only, got ${size}`);
    this.size = size;
    this.fft = new Fft1dColumns(size);
  }

  forward(re: Float64Array, im: Float64Array, nonzero = this.size): void {
    this.fft.transform(re, im, this.size, nonzero, false);
    transpose(re, this.size);
    transpose(im, this.size);
    this.fft.transform(re, im, this.size, this.size, false);
  }

  inverse(re: Float64Array, im: Float64Array, needed = this.size): void {
    this.fft.transform(re, im, this.size, this.size, true);
    transpose(re, this.size);
    transpose(im, this.size);
    this.fft.transform(re, im, this.size, needed, true);
  }
}

const isPow2 = (n: number) => Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;

/** The faster plan for a size: in-place radix-2 for powers of two, mixed radix otherwise. */
export function fft2d(size: number): Fft2dPlan {
  return isPow2(size) ? new Fft2dRadix2(size) : new Fft2dMixed(size);
}

/**
 * Relative cost of a 2-D FFT of this size, for choosing a grid: the mixed-radix
 * passes (out of place, per-column blocks) measured about twice as slow per
 * element and pass as the in-place radix-2 ones.
 */
export function fft2dCost(size: number): number {
  return size * size * Math.log2(size) * (isPow2(size) ? 1 : 2);
}

/**
 * In-place radix-2 (power-of-two sizes) 2-D FFT, spectrum in natural order.
 * Rows are transformed one by one; columns all at once, with the butterfly's
 * inner loop running along a row, so every memory access is sequential.
 */
export class Fft2dRadix2 implements Fft2dPlan {
  readonly transposed = false;
  readonly size: number;
  private readonly log2: number;
  private readonly rev: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two >= 2, got ${size}`);
    this.size = size;
    this.log2 = Math.round(Math.log2(size));
    this.rev = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < this.log2; b++) r |= ((i >> b) & 1) << (this.log2 - 1 - b);
      this.rev[i] = r;
    }
    // Twiddles exp(-2 pi i k / size), k < size/2.
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** 1-D FFT of row `row` (inverse: conjugate twiddles, no 1/M scaling). */
  private row(re: Float64Array, im: Float64Array, row: number, inverse: boolean): void {
    const m = this.size;
    const o = row * m;
    const rev = this.rev;
    for (let i = 0; i < m; i++) {
      const j = rev[i]!;
      if (j > i) {
        const tr = re[o + i]!;
        re[o + i] = re[o + j]!;
        re[o + j] = tr;
        const ti = im[o + i]!;
        im[o + i] = im[o + j]!;
        im[o + j] = ti;
      }
    }
    const sgn = inverse ? -1 : 1;
    for (let half = 1; half < m; half <<= 1) {
      const step = m / (2 * half);
      for (let k = 0; k < half; k++) {
        const wr = this.cos[k * step]!;
        const wi = sgn * this.sin[k * step]!;
        for (let s = o + k; s < o + m; s += 2 * half) {
          const t = s + half;
          const xr = re[t]! * wr - im[t]! * wi;
          const xi = re[t]! * wi + im[t]! * wr;
          re[t] = re[s]! - xr;
          im[t] = im[s]! - xi;
          re[s] = re[s]! + xr;
          im[s] = im[s]! + xi;
        }
      }
    }
  }

  /** FFT along columns for columns [0, cols): butterflies combine whole rows. */
  private columns(re: Float64Array, im: Float64Array, cols: number, inverse: boolean): void {
    const m = this.size;
    const rev = this.rev;
    for (let i = 0; i < m; i++) {
      const j = rev[i]!;
      if (j > i) {
        const a = i * m;
        const b = j * m;
        for (let c = 0; c < cols; c++) {
          const tr = re[a + c]!;
          re[a + c] = re[b + c]!;
          re[b + c] = tr;
          const ti = im[a + c]!;
          im[a + c] = im[b + c]!;
          im[b + c] = ti;
        }
      }
    }
    const sgn = inverse ? -1 : 1;
    for (let half = 1; half < m; half <<= 1) {
      const step = m / (2 * half);
      for (let k = 0; k < half; k++) {
        const wr = this.cos[k * step]!;
        const wi = sgn * this.sin[k * step]!;
        for (let s = k; s < m; s += 2 * half) {
          const a = s * m;
          const b = (s + half) * m;
          for (let c = 0; c < cols; c++) {
            const br = re[b + c]!;
            const bi = im[b + c]!;
            const xr = br * wr - bi * wi;
            const xi = br * wi + bi * wr;
            const ar = re[a + c]!;
            const ai = im[a + c]!;
            re[b + c] = ar - xr;
            im[b + c] = ai - xi;
            re[a + c] = ar + xr;
            im[a + c] = ai + xi;
          }
        }
      }
    }
  }

  /**
   * Forward 2-D FFT. Only rows [0, nonzero) may be non-zero on input
   * (the others must be zero); the whole grid is the output.
   */
  forward(re: Float64Array, im: Float64Array, nonzeroRows = this.size): void {
    for (let r = 0; r < nonzeroRows; r++) this.row(re, im, r, false);
    this.columns(re, im, this.size, false);
  }

  /**
   * Inverse 2-D FFT without the 1/M^2 factor. Only columns [0, neededCols)
   * of the output are valid; the others are left half transformed.
   */
  inverse(re: Float64Array, im: Float64Array, neededCols = this.size): void {
    for (let r = 0; r < this.size; r++) this.row(re, im, r, true);
    this.columns(re, im, neededCols, true);
  }
}

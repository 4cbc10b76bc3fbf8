/**
 * In-place radix-2 complex FFT on square M x M grids (M a power of two), for the
 * t-SNE repulsion convolution (tsne-fft.ts). Separate real and imaginary
 * Float64Arrays, row-major.
 *
 * Rows are transformed one by one; columns are transformed all at once, with the
 * butterfly's inner loop running along a row, so every memory access is
 * sequential. Both passes can be limited to the first `rows` rows / `cols`
 * columns where the caller knows the rest of the input is zero (the zero-padded
 * half of a linear convolution) or the rest of the output is not needed.
 */
export class Fft2d {
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
   * Forward 2-D FFT. Only rows [0, nonzeroRows) may be non-zero on input
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

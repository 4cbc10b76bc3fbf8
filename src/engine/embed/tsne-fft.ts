/**
 * Approximate t-SNE gradient for large n: sparse attraction over the kNN
 * affinities, and the repulsion by interpolation onto a regular grid plus an
 * FFT convolution (the scheme of FIt-SNE, Linderman et al. 2019).
 *
 * Why this and not Barnes-Hut: the repulsive sums
 *   phi1(i) = sum_j w_ij,  phi2(i) = sum_j w_ij^2,  phi3,4(i) = sum_j w_ij^2 y_j
 * with the Cauchy kernel w = 1/(1 + |yi - yj|^2) are smooth at a scale of 1, so
 * they are interpolated accurately from a grid with spacing ~0.5. Per iteration
 * that costs O(n) to spread charges onto the grid and read potentials back,
 * plus FFTs whose size depends on the spread of the embedding, not on n. On
 * the tensorflow backend those FFTs are TensorFlow's own (RFFT2D/IRFFT2D,
 * multithreaded, any 2^a 3^b 5^c size), a few milliseconds at 10,000 points;
 * Barnes-Hut would be O(n log n) of pointer chasing through a quadtree
 * rebuilt every iteration, in single-threaded JS. Other backends use the
 * mixed-radix JS FFT in fft.ts. Accuracy is one knob (maxSpacing, with cubic
 * Lagrange interpolation) and is checked against the exact gradient in the
 * tests. The approximation of sum_j K(yi,yj)(yi - yj) is consistent: the same
 * interpolated kernel multiplies y_i and y_j, so the interpolation error does
 * not grow with the size of the coordinates. Only the total of phi1 is needed
 * (Z = sum_i phi1(i) - n), and it is read off the spectrum by Parseval, so
 * three grids are transformed back, not four. The attraction visits each
 * pair of the kNN graph once and applies the force to both ends.
 */
import * as tf from '@tensorflow/tfjs';
import { fft2d, fft2dCost, isSmooth, type Fft2dPlan } from './fft.js';
import type { AffinityPairs } from './affinities.js';

export interface FftRepulsionOptions {
  /** largest grid spacing in embedding units (the kernel's width is 1); default 0.5 */
  maxSpacing?: number;
  /** interpolation nodes per axis (3 quadratic, 4 cubic); default 4 */
  order?: number;
  /** fewest grid nodes per side; default 16 */
  minGrid?: number;
  /** 'native' needs the tensorflow backend; 'auto' takes it when present */
  fft?: 'auto' | 'native' | 'js';
}

/** Grid spacings come from a geometric ladder so a kernel's FFT can be reused while the embedding's spread stays on one rung. */
const LADDER = 1.03;

/**
 * Convolves the three charge grids (1, y_x, y_y; each g x g, row = x index)
 * with the kernels: writes the potential grids K2*1, K2*y_x, K2*y_y into out
 * and returns <1, K1*1> summed over the grid, which is sum_ij of the
 * interpolated w_ij (self terms included): the normalisation Z needs nothing
 * else from K1, so its potential grid is never transformed back.
 */
interface Convolver {
  /** smallest grid side >= need this convolver supports */
  gridSize(need: number): number;
  convolve(charges: Float64Array, g: number, spacing: number, rung: number, out: Float64Array): number;
  dispose(): void;
}

/** Circulant embedding (size m >= 2g - 1) of the Toeplitz kernels, offsets -(g-1)..(g-1). */
function kernelGrid(m: number, g: number, spacing: number, square: boolean, out: Float64Array | Float32Array): void {
  const off = (a: number) => (a < g ? a : a > m - g ? a - m : NaN);
  out.fill(0);
  for (let a = 0; a < m; a++) {
    const da = off(a);
    if (Number.isNaN(da)) continue;
    for (let b = 0; b < m; b++) {
      const db = off(b);
      if (Number.isNaN(db)) continue;
      const w = 1 / (1 + (da * da + db * db) * spacing * spacing);
      out[a * m + b] = square ? w * w : w;
    }
  }
}

class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(
    private readonly capacity: number,
    private readonly drop: (v: V) => void = () => {},
  ) {}
  get(key: string, make: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) return hit;
    const v = make();
    if (this.map.size >= this.capacity) {
      const [k, old] = this.map.entries().next().value!;
      this.map.delete(k);
      this.drop(old);
    }
    this.map.set(key, v);
    return v;
  }
  clear(): void {
    for (const v of this.map.values()) this.drop(v);
    this.map.clear();
  }
}

/** Even sizes 2^a 3^b 5^c: both FFTs handle them with small radices. */
const NICE = Array.from({ length: 1 << 14 }, (_, i) => i + 1).filter((m) => m % 2 === 0 && isSmooth(m));

/** Grid side g >= need whose FFT size 2g is a nice size. */
function niceGrid(need: number): number {
  for (const m of NICE) if (m >= 2 * need) return m / 2;
  throw new RangeError(`t-SNE grid of ${need} nodes per side is too large: the embedding has spread too far (lower the learning rate)`);
}

/** JS FFT (fft.ts): one complex FFT carries two real grids (re + i im). */
class JsConvolver implements Convolver {
  private readonly ffts = new Map<number, Fft2dPlan>();
  private readonly kernels = new LruCache<{ k2: Float64Array; kp: Float64Array; km: Float64Array }>(6);
  private size = 0;
  private aRe = new Float64Array(0);
  private aIm = new Float64Array(0);
  private bRe = new Float64Array(0);
  private bIm = new Float64Array(0);

  gridSize(need: number): number {
    // the cheaper of the next power of two and the next smooth size
    let pow2 = 4;
    while (pow2 < 2 * need) pow2 *= 2;
    const nice = 2 * niceGrid(need);
    return (fft2dCost(pow2) <= fft2dCost(nice) ? pow2 : nice) / 2;
  }

  private fft(m: number): Fft2dPlan {
    let f = this.ffts.get(m);
    if (!f) this.ffts.set(m, (f = fft2d(m)));
    return f;
  }

  private kernel(m: number, g: number, spacing: number, rung: number) {
    return this.kernels.get(`${m}:${rung}`, () => {
      const re = new Float64Array(m * m);
      const im = new Float64Array(m * m);
      kernelGrid(m, g, spacing, false, re);
      kernelGrid(m, g, spacing, true, im);
      this.fft(m).forward(re, im);
      // Both kernels are real and even, so their transforms are real: the packed
      // transform holds K1hat in the real part and K2hat in the imaginary part.
      const scale = 1 / (m * m);
      const k2 = new Float64Array(m * m);
      const kp = new Float64Array(m * m);
      const km = new Float64Array(m * m);
      for (let i = 0; i < m * m; i++) {
        const k1h = re[i]! * scale;
        const k2h = im[i]! * scale;
        k2[i] = k2h;
        kp[i] = (k2h + k1h) / 2;
        km[i] = (k2h - k1h) / 2;
      }
      return { k2, kp, km };
    });
  }

  convolve(charges: Float64Array, g: number, spacing: number, rung: number, out: Float64Array): number {
    const m = 2 * g;
    if (this.size !== m) {
      this.size = m;
      this.aRe = new Float64Array(m * m);
      this.aIm = new Float64Array(m * m);
      this.bRe = new Float64Array(m * m);
      this.bIm = new Float64Array(m * m);
    }
    const { aRe, aIm, bRe, bIm } = this;
    aRe.fill(0);
    aIm.fill(0);
    bRe.fill(0);
    bIm.fill(0);
    const gg = g * g;
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) {
        const s = r * g + c;
        const t = r * m + c;
        aRe[t] = charges[s]!; // 1
        aIm[t] = charges[gg + s]!; // y_x
        bRe[t] = charges[2 * gg + s]!; // y_y
        bIm[t] = charges[s]!; // 1 again, for K1
      }
    }
    const k = this.kernel(m, g, spacing, rung);
    const fft = this.fft(m);
    // A: (1 + i y_x) * K2 -> phi2 + i phi3
    fft.forward(aRe, aIm, g);
    for (let i = 0; i < m * m; i++) {
      aRe[i] *= k.k2[i]!;
      aIm[i] *= k.k2[i]!;
    }
    fft.inverse(aRe, aIm, g);
    // B: y_y * K2 (real part) and 1 * K1 (imaginary part)
    fft.forward(bRe, bIm, g);
    applyPair(bRe, bIm, k.kp, k.km, m);
    fft.inverse(bRe, bIm, g);
    let sum1 = 0;
    for (let r = 0; r < g; r++) {
      for (let c = 0; c < g; c++) {
        const s = r * g + c;
        const t = r * m + c;
        sum1 += charges[s]! * bIm[t]!;
        out[s] = aRe[t]!;
        out[gg + s] = aIm[t]!;
        out[2 * gg + s] = bRe[t]!;
      }
    }
    return sum1;
  }

  dispose(): void {
    this.kernels.clear();
  }
}

/**
 * C = F(a) + i F(b) for real a, b (Hermitian F(a), F(b)); replace it by
 * K2hat F(a) + i K1hat F(b) = kp C(k) + km conj(C(-k)).
 */
function applyPair(re: Float64Array, im: Float64Array, kp: Float64Array, km: Float64Array, size: number): void {
  for (let r = 0; r < size; r++) {
    const nr = r === 0 ? 0 : size - r;
    for (let c = 0; c < size; c++) {
      const p = r * size + c;
      const q = nr * size + (c === 0 ? 0 : size - c);
      if (q < p) continue;
      const pr = re[p]!;
      const pi = im[p]!;
      const qr = re[q]!;
      const qi = im[q]!;
      const kpp = kp[p]!;
      const kmp = km[p]!;
      // the kernels are even: kp[q] = kp[p], km[q] = km[p]
      re[p] = kpp * pr + kmp * qr;
      im[p] = kpp * pi - kmp * qi;
      if (q !== p) {
        re[q] = kpp * qr + kmp * pr;
        im[q] = kpp * qi - kmp * pi;
      }
    }
  }
}

interface NativeOpAttr {
  name: string;
  type: number;
  value: unknown;
}
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_COMPLEX64: number };
  executeSingleOutput(name: string, attrs: NativeOpAttr[], inputs: tf.Tensor[]): tf.Tensor;
}

function nativeBackend(): NativeBackend | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const b = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof b.executeSingleOutput === 'function' && b.binding && typeof b.binding.TF_COMPLEX64 === 'number' ? (b as NativeBackend) : null;
}


/** TensorFlow RFFT2D/IRFFT2D on the tensorflow backend (float32). */
class NativeConvolver implements Convolver {
  private readonly b: NativeBackend;
  private readonly attrs: NativeOpAttr[];
  private readonly kernels = new LruCache<{ k2: tf.Tensor; k1w: tf.Tensor }>(6, (k) => tf.dispose([k.k2, k.k1w]));
  private charges32 = new Float32Array(0);

  constructor(b: NativeBackend) {
    this.b = b;
    this.attrs = [
      { name: 'Treal', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
      { name: 'Tcomplex', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_COMPLEX64 },
    ];
  }

  gridSize(need: number): number {
    return niceGrid(need);
  }

  private rfft(x: tf.Tensor, m: number): tf.Tensor {
    const len = tf.tensor1d([m, m], 'int32');
    try {
      return this.b.executeSingleOutput('RFFT2D', this.attrs, [x, len]);
    } finally {
      len.dispose();
    }
  }

  private irfft(x: tf.Tensor, m: number): tf.Tensor {
    const len = tf.tensor1d([m, m], 'int32');
    try {
      return this.b.executeSingleOutput('IRFFT2D', this.attrs, [x, len]);
    } finally {
      len.dispose();
    }
  }

  /**
   * k2: the transform of K2, [1, m, m/2 + 1] complex. k1w: the (real) transform
   * of K1 times the Parseval weights of a half spectrum (1 for the first and
   * last column, 2 for the others, whose mirror images are not stored) / m^2.
   */
  private kernel(m: number, g: number, spacing: number, rung: number): { k2: tf.Tensor; k1w: tf.Tensor } {
    return this.kernels.get(`${m}:${rung}`, () => {
      const k = new Float32Array(2 * m * m);
      kernelGrid(m, g, spacing, false, k.subarray(0, m * m));
      kernelGrid(m, g, spacing, true, k.subarray(m * m));
      return tf.tidy(() => {
        const spec = this.rfft(tf.tensor3d(k, [2, m, m]), m);
        const h = m / 2 + 1;
        const w = Float32Array.from({ length: h }, (_, c) => (c === 0 || c === h - 1 ? 1 : 2) / (m * m));
        const k1w = tf.mul(tf.real(tf.slice(spec, [0, 0, 0], [1, -1, -1])), tf.tensor3d(w, [1, 1, h]));
        return { k2: tf.slice(spec, [1, 0, 0], [1, -1, -1]), k1w };
      });
    });
  }

  convolve(charges: Float64Array, g: number, spacing: number, rung: number, out: Float64Array): number {
    const m = 2 * g;
    const kern = this.kernel(m, g, spacing, rung);
    if (this.charges32.length !== 3 * g * g) this.charges32 = new Float32Array(3 * g * g);
    this.charges32.set(charges.subarray(0, 3 * g * g));
    const [pot, sum1] = tf.tidy(() => {
      const q = tf.pad(tf.tensor3d(this.charges32, [3, g, g]), [
        [0, 0],
        [0, m - g],
        [0, m - g],
      ]);
      const c = this.rfft(q, m); // [3, m, m/2+1]
      // <1, K1*1> by Parseval: sum_k K1hat(k) |C1(k)|^2 / m^2
      const s1 = tf.sum(tf.mul(tf.square(tf.abs(tf.slice(c, [0, 0, 0], [1, -1, -1]))), kern.k1w));
      return [tf.slice(this.irfft(tf.mul(c, kern.k2), m), [0, 0, 0], [3, g, g]), s1];
    });
    // NativeConvolver runs only on the tensorflow backend (nativeBackend()), whose reads are synchronous
    // host copies; the webgpu path takes JsConvolver. The t-SNE FFT step stays synchronous.
    // eslint-disable-next-line no-restricted-syntax
    const v = pot.dataSync();
    // eslint-disable-next-line no-restricted-syntax
    const z = sum1.dataSync()[0]!;
    tf.dispose([pot, sum1]);
    for (let i = 0; i < 3 * g * g; i++) out[i] = v[i]!;
    return z;
  }

  dispose(): void {
    this.kernels.clear();
  }
}

export class FftRepulsion {
  private readonly maxSpacing: number;
  private readonly order: number;
  private readonly minGrid: number;
  private readonly conv: Convolver;
  readonly native: boolean;
  private charges = new Float64Array(0);
  private potentials = new Float64Array(0);
  private base = new Int32Array(0);
  private weights = new Float64Array(0);
  /** grid side and spacing of the last call, for tests and diagnostics */
  lastGrid = 0;
  lastSpacing = 0;

  constructor(opts: FftRepulsionOptions = {}) {
    this.maxSpacing = opts.maxSpacing ?? 0.5;
    this.order = opts.order ?? 4;
    this.minGrid = Math.max(opts.minGrid ?? 16, this.order);
    if (this.order < 2 || this.order > 6) throw new RangeError(`interpolation order must be 2..6, got ${this.order}`);
    const want = opts.fft ?? 'auto';
    const nb = want === 'js' ? null : nativeBackend();
    if (want === 'native' && !nb) throw new Error(`native FFT needs the tensorflow backend (current: ${tf.getBackend()})`);
    this.conv = nb ? new NativeConvolver(nb) : new JsConvolver();
    this.native = nb !== null;
  }

  dispose(): void {
    this.conv.dispose();
  }

  /**
   * out[2i..2i+1] = sum_j w_ij^2 (y_i - y_j) for the interleaved n x 2
   * coordinates y; returns Z = sum_{i != j} w_ij.
   */
  compute(y: Float64Array, n: number, out: Float64Array): number {
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      const a = y[2 * i]!;
      const b = y[2 * i + 1]!;
      if (a < minX) minX = a;
      if (a > maxX) maxX = a;
      if (b < minY) minY = b;
      if (b > maxY) maxY = b;
    }
    if (!Number.isFinite(minX + maxX + minY + maxY)) throw new Error('t-SNE diverged: the embedding has non-finite coordinates (lower the learning rate)');
    const span = Math.max(maxX - minX, maxY - minY, 1e-9);
    const p = this.order;
    const g = this.conv.gridSize(Math.max(this.minGrid, Math.ceil(span / this.maxSpacing) + 1));
    const rung = Math.ceil(Math.log(span / (g - 1)) / Math.log(LADDER));
    const d = Math.pow(LADDER, rung);
    this.lastGrid = g;
    this.lastSpacing = d;
    const gg = g * g;
    if (this.charges.length < 3 * gg) {
      this.charges = new Float64Array(3 * gg);
      this.potentials = new Float64Array(3 * gg);
    }
    if (this.base.length < 2 * n) {
      this.base = new Int32Array(2 * n);
      this.weights = new Float64Array(2 * p * n);
    }
    const { charges, potentials, base, weights } = this;
    charges.fill(0, 0, 3 * gg);

    // Centre the grid on the points; nodes at lo + k d, k = 0..g-1.
    const loX = (minX + maxX) / 2 - ((g - 1) * d) / 2;
    const loY = (minY + maxY) / 2 - ((g - 1) * d) / 2;
    const half = (p - 1) / 2;
    for (let i = 0; i < n; i++) {
      const px = y[2 * i]!;
      const py = y[2 * i + 1]!;
      const tx = (px - loX) / d;
      const ty = (py - loY) / d;
      // Lagrange interpolation on the p nodes around the point.
      const bx = Math.min(Math.max(Math.round(tx - half), 0), g - p);
      const by = Math.min(Math.max(Math.round(ty - half), 0), g - p);
      base[2 * i] = bx;
      base[2 * i + 1] = by;
      lagrange(tx - bx, p, weights, 2 * p * i);
      lagrange(ty - by, p, weights, 2 * p * i + p);
      const wo = 2 * p * i;
      for (let a = 0; a < p; a++) {
        const la = weights[wo + a]!;
        const row = (bx + a) * g + by;
        for (let b = 0; b < p; b++) {
          const w = la * weights[wo + p + b]!;
          const at = row + b;
          charges[at] += w;
          charges[gg + at] += w * px;
          charges[2 * gg + at] += w * py;
        }
      }
    }

    // sum_i phi1(i) = sum_ij of the interpolated w_ij
    const sumPhi1 = this.conv.convolve(charges, g, d, rung, potentials);

    for (let i = 0; i < n; i++) {
      const bx = base[2 * i]!;
      const by = base[2 * i + 1]!;
      const wo = 2 * p * i;
      let phi2 = 0;
      let phi3 = 0;
      let phi4 = 0;
      for (let a = 0; a < p; a++) {
        const la = weights[wo + a]!;
        const row = (bx + a) * g + by;
        for (let b = 0; b < p; b++) {
          const w = la * weights[wo + p + b]!;
          const at = row + b;
          phi2 += w * potentials[at]!;
          phi3 += w * potentials[gg + at]!;
          phi4 += w * potentials[2 * gg + at]!;
        }
      }
      out[2 * i] = y[2 * i]! * phi2 - phi3;
      out[2 * i + 1] = y[2 * i + 1]! * phi2 - phi4;
    }
    // The sum includes each point's own w_ii = 1.
    return Math.max(sumPhi1 - n, 1e-12);
  }
}

/** Lagrange basis on nodes 0..p-1 at position u, into out[o..o+p). */
function lagrange(u: number, p: number, out: Float64Array, o: number): void {
  for (let a = 0; a < p; a++) {
    let v = 1;
    for (let b = 0; b < p; b++) if (b !== a) v *= (u - b) / (a - b);
    out[o + a] = v;
  }
}

/**
 * The t-SNE gradient with sparse P (each pair once, see upperPairs; P sums to 1
 * over ordered pairs) and FFT repulsion:
 *   grad_i = 4 (exaggeration sum_j p_ij w_ij (y_i - y_j) - rep_i / Z).
 * Returns KL(P || Q) (with the unexaggerated P) when wantKl, else NaN.
 */
export function fftGradient(
  y: Float64Array,
  p: AffinityPairs,
  exaggeration: number,
  rep: FftRepulsion,
  scratch: Float64Array,
  grad: Float64Array,
  wantKl: boolean,
): number {
  const n = p.n;
  const z = rep.compute(y, n, scratch);
  const { rowPtr, cols, vals } = p;
  // attraction accumulates in grad first
  grad.fill(0, 0, 2 * n);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    const yx = y[2 * i]!;
    const yy = y[2 * i + 1]!;
    let ax = 0;
    let ay = 0;
    const end = rowPtr[i + 1]!;
    for (let e = rowPtr[i]!; e < end; e++) {
      const j = cols[e]!;
      const dx = yx - y[2 * j]!;
      const dy = yy - y[2 * j + 1]!;
      const w = 1 / (1 + dx * dx + dy * dy);
      const v = vals[e]!;
      const fx = v * w * dx;
      const fy = v * w * dy;
      ax += fx;
      ay += fy;
      grad[2 * j] -= fx;
      grad[2 * j + 1] -= fy;
      if (wantKl && v > 0) kl += 2 * v * Math.log(v / w);
    }
    grad[2 * i] += ax;
    grad[2 * i + 1] += ay;
  }
  const invZ = 1 / z;
  for (let i = 0; i < 2 * n; i++) grad[i] = 4 * (exaggeration * grad[i]! - scratch[i]! * invZ);
  return wantKl ? kl + Math.log(z) : NaN;
}

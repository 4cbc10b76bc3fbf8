/**
 * Float64 reference implementations in plain loops, straight from the
 * definitions (no tfjs), for the backend parity tests. Layout NHWC; filters
 * [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]).
 */

export interface Ref {
  shape: number[];
  data: Float64Array;
}

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export function ref(shape: number[], data: ArrayLike<number>): Ref {
  if (data.length !== size(shape)) throw new Error(`ref: ${data.length} values for shape [${shape}]`);
  return { shape, data: Float64Array.from(data) };
}

/** mulberry32: a small seeded PRNG, so every backend and the reference see the same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal(0, scale) values, already rounded to float32 so tfjs and the reference start from the same inputs. */
export function randn(seed: number, shape: number[], scale = 1): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const r = Math.sqrt(-2 * Math.log(u() + 1e-12));
    out[i] = r * Math.cos(2 * Math.PI * u()) * scale;
  }
  return out;
}

/**
 * max |actual - expected| / max |expected|: the error relative to the
 * tensor's scale (element-wise ratios are meaningless near zero).
 */
export function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

// ---------------------------------------------------------------- convolution

export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  oh: number;
  ow: number;
}

/** TensorFlow's padding rules: SAME gives ceil(in/stride) outputs, the odd pad pixel at the bottom/right. */
function axis(inSize: number, k: number, s: number, d: number, pad: Pad, dim: 1 | 2): { before: number; out: number } {
  const ek = (k - 1) * d + 1;
  if (pad === 'same') {
    const out = Math.ceil(inSize / s);
    const total = Math.max((out - 1) * s + ek - inSize, 0);
    return { before: Math.floor(total / 2), out };
  }
  if (pad === 'valid') return { before: 0, out: Math.ceil((inSize - ek + 1) / s) };
  const [before, after] = pad[dim];
  return { before, out: Math.floor((inSize + before + after - ek) / s) + 1 };
}

export function convGeom(xShape: number[], kh: number, kw: number, stride: [number, number], pad: Pad, dilation: [number, number] = [1, 1]): ConvGeom {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const a = axis(h, kh, stride[0], dilation[0], pad, 1);
  const b = axis(w, kw, stride[1], dilation[1], pad, 2);
  return { n, h, w, c, kh, kw, sh: stride[0], sw: stride[1], dh: dilation[0], dw: dilation[1], pt: a.before, pl: b.before, oh: a.out, ow: b.out };
}

/**
 * Calls f(xIndex, yPosition, tap) for every pairing of an input pixel with an
 * output pixel and filter tap that the convolution sums over:
 *   y[n,i,j,:] gathers x[n, i*sh + a*dh - pt, j*sw + b*dw - pl, :] with tap (a,b).
 */
function forEachPair(g: ConvGeom, f: (xPix: number, yPix: number, tap: number) => void): void {
  for (let n = 0; n < g.n; n++) {
    for (let i = 0; i < g.oh; i++) {
      for (let j = 0; j < g.ow; j++) {
        const yPix = (n * g.oh + i) * g.ow + j;
        for (let a = 0; a < g.kh; a++) {
          const p = i * g.sh + a * g.dh - g.pt;
          if (p < 0 || p >= g.h) continue;
          for (let b = 0; b < g.kw; b++) {
            const q = j * g.sw + b * g.dw - g.pl;
            if (q < 0 || q >= g.w) continue;
            f((n * g.h + p) * g.w + q, yPix, a * g.kw + b);
          }
        }
      }
    }
  }
}

/** y[n,i,j,o] = sum_{a,b,c} x[n, i*sh + a*dh - pt, j*sw + b*dw - pl, c] * w[a,b,c,o] */
export function conv2d(x: Ref, w: Ref, stride: [number, number], pad: Pad, dilation: [number, number] = [1, 1]): Ref {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const g = convGeom(x.shape, kh, kw, stride, pad, dilation);
  const y = new Float64Array(g.n * g.oh * g.ow * co);
  forEachPair(g, (xp, yp, t) => {
    for (let c = 0; c < ci; c++) {
      const xv = x.data[xp * ci + c]!;
      for (let o = 0; o < co; o++) y[yp * co + o] += xv * w.data[(t * ci + c) * co + o]!;
    }
  });
  return { shape: [g.n, g.oh, g.ow, co], data: y };
}

/** dL/dx for L = sum(y * dy): each x pixel collects dy * w from every output it fed. */
export function conv2dBackpropInput(dy: Ref, w: Ref, xShape: number[], stride: [number, number], pad: Pad): Ref {
  const [kh, kw, ci, co] = w.shape as [number, number, number, number];
  const g = convGeom(xShape, kh, kw, stride, pad);
  const dx = new Float64Array(size(xShape));
  forEachPair(g, (xp, yp, t) => {
    for (let c = 0; c < ci; c++) {
      let s = 0;
      for (let o = 0; o < co; o++) s += dy.data[yp * co + o]! * w.data[(t * ci + c) * co + o]!;
      dx[xp * ci + c] += s;
    }
  });
  return { shape: xShape, data: dx };
}

/** dL/dw for L = sum(y * dy): dw[a,b,c,o] = sum over outputs of x under tap (a,b) times dy. */
export function conv2dBackpropFilter(x: Ref, dy: Ref, wShape: number[], stride: [number, number], pad: Pad): Ref {
  const [kh, kw, ci, co] = wShape as [number, number, number, number];
  const g = convGeom(x.shape, kh, kw, stride, pad);
  const dw = new Float64Array(size(wShape));
  forEachPair(g, (xp, yp, t) => {
    for (let c = 0; c < ci; c++) {
      const xv = x.data[xp * ci + c]!;
      for (let o = 0; o < co; o++) dw[(t * ci + c) * co + o] += xv * dy.data[yp * co + o]!;
    }
  });
  return { shape: wShape, data: dw };
}

/** y[n,i,j,c*m+k] = sum_{a,b} x[n, i*sh + a - pt, j*sw + b - pl, c] * w[a,b,c,k] */
export function depthwiseConv2d(x: Ref, w: Ref, stride: [number, number], pad: Pad): Ref {
  const [kh, kw, ci, m] = w.shape as [number, number, number, number];
  const g = convGeom(x.shape, kh, kw, stride, pad);
  const co = ci * m;
  const y = new Float64Array(g.n * g.oh * g.ow * co);
  forEachPair(g, (xp, yp, t) => {
    for (let c = 0; c < ci; c++) {
      for (let k = 0; k < m; k++) y[yp * co + c * m + k] += x.data[xp * ci + c]! * w.data[(t * ci + c) * m + k]!;
    }
  });
  return { shape: [g.n, g.oh, g.ow, co], data: y };
}

// --------------------------------------------------------------------- matmul

/** [..., m, k] x [..., k, n] with optional transposes and broadcast leading dims (rank 2 or 3). */
export function matMul(a: Ref, b: Ref, transposeA = false, transposeB = false): Ref {
  const a3 = a.shape.length === 2 ? [1, ...a.shape] : a.shape;
  const b3 = b.shape.length === 2 ? [1, ...b.shape] : b.shape;
  const [ba, ar, ac] = a3 as [number, number, number];
  const [bb, br, bc] = b3 as [number, number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k) throw new Error('matMul ref: inner dims differ');
  const batch = Math.max(ba, bb);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (ba === 1 ? 0 : t) * ar * ac;
    const bo = (bb === 1 ? 0 : t) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let e = 0; e < k; e++) {
          const av = transposeA ? a.data[ao + e * ac + i]! : a.data[ao + i * ac + e]!;
          const bv = transposeB ? b.data[bo + j * bc + e]! : b.data[bo + e * bc + j]!;
          s += av * bv;
        }
        out[(t * m + i) * n + j] = s;
      }
    }
  }
  const lead = a.shape.length === 2 && b.shape.length === 2 ? [] : [batch];
  return { shape: [...lead, m, n], data: out };
}

// ------------------------------------------------------------- normalisation

/** Mean and (biased) variance over every axis but the last. */
export function moments(x: Ref): { mean: Float64Array; variance: Float64Array } {
  const c = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) mean[k] += x.data[r * c + k]! / rows;
  for (let r = 0; r < rows; r++) for (let k = 0; k < c; k++) variance[k] += (x.data[r * c + k]! - mean[k]!) ** 2 / rows;
  return { mean, variance };
}

/** (x - mean) / sqrt(variance + eps) * scale + offset, per last-axis channel. */
export function batchNorm(x: Ref, mean: ArrayLike<number>, variance: ArrayLike<number>, offset: ArrayLike<number>, scale: ArrayLike<number>, eps: number): Ref {
  const c = x.shape[x.shape.length - 1]!;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = i % c;
    out[i] = ((x.data[i]! - mean[k]!) / Math.sqrt(variance[k]! + eps)) * scale[k]! + offset[k]!;
  }
  return { shape: x.shape, data: out };
}

// ------------------------------------------------------------ element-wise etc.

export function relu(x: Ref): Ref {
  return { shape: x.shape, data: x.data.map((v) => (v > 0 ? v : 0)) };
}

/** Along the last axis. */
export function logSoftmax(x: Ref): Ref {
  const c = x.shape[x.shape.length - 1]!;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / c; r++) {
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, x.data[r * c + k]!);
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.exp(x.data[r * c + k]! - max);
    const lse = max + Math.log(s);
    for (let k = 0; k < c; k++) out[r * c + k] = x.data[r * c + k]! - lse;
  }
  return { shape: x.shape, data: out };
}

export function softmax(x: Ref): Ref {
  const l = logSoftmax(x);
  return { shape: x.shape, data: l.data.map(Math.exp) };
}

/** x / sqrt(max(sum(x^2 along the last axis), eps)) */
export function l2Normalize(x: Ref, eps = 1e-12): Ref {
  const c = x.shape[x.shape.length - 1]!;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / c; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += x.data[r * c + k]! ** 2;
    const inv = 1 / Math.sqrt(Math.max(s, eps));
    for (let k = 0; k < c; k++) out[r * c + k] = x.data[r * c + k]! * inv;
  }
  return { shape: x.shape, data: out };
}

/** Rows (or columns, axis 1 of a matrix) picked by index. */
export function gather(x: Ref, indices: number[], axisIndex: 0 | 1): Ref {
  if (axisIndex === 0) {
    const inner = size(x.shape.slice(1));
    const out = new Float64Array(indices.length * inner);
    indices.forEach((idx, r) => out.set(x.data.subarray(idx * inner, (idx + 1) * inner), r * inner));
    return { shape: [indices.length, ...x.shape.slice(1)], data: out };
  }
  const [rows, cols] = x.shape as [number, number];
  const out = new Float64Array(rows * indices.length);
  for (let r = 0; r < rows; r++) indices.forEach((idx, k) => (out[r * indices.length + k] = x.data[r * cols + idx]!));
  return { shape: [rows, indices.length], data: out };
}

// ----------------------------------------------------------------- resampling

/** Bilinear mix of rows y0/y1 and columns x0/x1 of image n, weights yl/xl, written to out[at..at+c). */
function bilinearAt(img: Ref, n: number, out: Float64Array, at: number, y0: number, y1: number, x0: number, x1: number, yl: number, xl: number): void {
  const [, h, w, c] = img.shape as [number, number, number, number];
  const px = (yy: number, xx: number, k: number) => img.data[((n * h + yy) * w + xx) * c + k]!;
  for (let k = 0; k < c; k++) {
    const top = px(y0, x0, k) + (px(y0, x1, k) - px(y0, x0, k)) * xl;
    const bottom = px(y1, x0, k) + (px(y1, x1, k) - px(y1, x0, k)) * xl;
    out[at + k] = top + (bottom - top) * yl;
  }
}

/**
 * TensorFlow's ResizeBilinear: source coordinate scale*r (or scale*(r+0.5)-0.5
 * with half-pixel centres; scale from (in-1)/(out-1) when aligning corners),
 * neighbours clamped to the image.
 */
export function resizeBilinear(img: Ref, outH: number, outW: number, alignCorners = false, halfPixelCenters = false): Ref {
  const [n, h, w, c] = img.shape as [number, number, number, number];
  const scale = (inS: number, outS: number) => (alignCorners && outS > 1 ? (inS - 1) / (outS - 1) : inS / outS);
  const sy = scale(h, outH);
  const sx = scale(w, outW);
  const src = (s: number, r: number) => (halfPixelCenters ? s * (r + 0.5) - 0.5 : s * r);
  const out = new Float64Array(n * outH * outW * c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < outH; r++) {
      const fy = src(sy, r);
      const y0 = Math.max(0, Math.floor(fy));
      const y1 = Math.min(h - 1, Math.ceil(fy));
      for (let q = 0; q < outW; q++) {
        const fx = src(sx, q);
        const x0 = Math.max(0, Math.floor(fx));
        const x1 = Math.min(w - 1, Math.ceil(fx));
        bilinearAt(img, b, out, ((b * outH + r) * outW + q) * c, y0, y1, x0, x1, fy - y0, fx - x0);
      }
    }
  }
  return { shape: [n, outH, outW, c], data: out };
}

/**
 * TensorFlow's CropAndResize (bilinear): box [y1,x1,y2,x2] in normalised
 * coordinates, sample r at y1*(H-1) + r*(y2-y1)*(H-1)/(cropH-1); samples
 * outside the image take the extrapolation value.
 */
export function cropAndResize(img: Ref, boxes: number[][], boxInd: number[], cropH: number, cropW: number, extrapolation = 0): Ref {
  const [, h, w, c] = img.shape as [number, number, number, number];
  const out = new Float64Array(boxes.length * cropH * cropW * c);
  boxes.forEach(([y1, x1, y2, x2], bi) => {
    const n = boxInd[bi]!;
    for (let r = 0; r < cropH; r++) {
      const fy = cropH > 1 ? y1! * (h - 1) + (r * (y2! - y1!) * (h - 1)) / (cropH - 1) : 0.5 * (y1! + y2!) * (h - 1);
      for (let q = 0; q < cropW; q++) {
        const fx = cropW > 1 ? x1! * (w - 1) + (q * (x2! - x1!) * (w - 1)) / (cropW - 1) : 0.5 * (x1! + x2!) * (w - 1);
        const at = ((bi * cropH + r) * cropW + q) * c;
        if (fy < 0 || fy > h - 1 || fx < 0 || fx > w - 1) {
          out.fill(extrapolation, at, at + c);
          continue;
        }
        const y0 = Math.floor(fy);
        const x0 = Math.floor(fx);
        bilinearAt(img, n, out, at, y0, Math.ceil(fy), x0, Math.ceil(fx), fy - y0, fx - x0);
      }
    }
  });
  return { shape: [boxes.length, cropH, cropW, c], data: out };
}

// ------------------------------------------------------------------ gradients

/**
 * Central differences of a float64 function: an independent check of any
 * gradient tfjs computes (error ~h^2 and ~1e-16/h, far below 1e-4).
 */
export function numericGrad(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-5): Float64Array {
  const p = Float64Array.from(x);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    p[i] = v + h;
    const up = f(p);
    p[i] = v - h;
    const down = f(p);
    p[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

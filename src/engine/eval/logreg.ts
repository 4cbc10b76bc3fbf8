import * as tf from '@tensorflow/tfjs';
import { abortError } from '../abort.js';
import type { ProgressOptions } from './common.js';

/**
 * Multinomial logistic regression with an L2 penalty, fitted full-batch by
 * L-BFGS with a strong-Wolfe line search. Everything but a few scalars stays
 * on the backend: the loss and gradient are closed-form tensor expressions
 * (no autodiff tape), and the L-BFGS vectors are tensors.
 *
 * Objective (the same as scikit-learn's LogisticRegression with C = 1/(l2·n)):
 *   f(W, b) = mean_i [ logsumexp(x_i W + b) − (x_i W + b)_{y_i} ] + l2/2 · ||W||²
 * The bias is not penalised. The problem is convex (strictly so in W when
 * l2 > 0), so L-BFGS converges to the global optimum; a full-batch
 * quasi-Newton method needs no learning-rate tuning, which is why linear
 * evaluation protocols (Kornblith et al. 2019, SimCLR) use it.
 */

export interface LogRegModel {
  /** [features, classes] */
  weights: tf.Tensor2D;
  /** [classes] */
  bias: tf.Tensor1D;
}

export interface LogRegProgress {
  iteration: number;
  loss: number;
  gradNorm: number;
}

export interface LogRegOptions extends ProgressOptions<LogRegProgress> {
  /** L2 strength l2 ≥ 0 on the weights (not the bias). */
  l2: number;
  numClasses: number;
  /** L-BFGS iterations at most (default 500). */
  maxIter?: number;
  /** Stop when max |gradient| falls below this (default 1e-5). */
  gradTol?: number;
  /** Stop when the loss changes relatively by less than this over `patience` iterations (default 1e-9). */
  lossTol?: number;
  /** Iterations the loss-change test looks back over (default 10): single steps can stall on float32 rounding. */
  patience?: number;
  /** Pairs of correction vectors kept (default 10). */
  history?: number;
  /** Start from this model (warm start, e.g. along an L2 path); copied, not consumed. */
  init?: LogRegModel;
}

export interface LogRegFit {
  model: LogRegModel;
  /** objective value at the solution */
  loss: number;
  /** max |gradient| at the solution */
  gradNorm: number;
  iterations: number;
  /** loss + gradient evaluations, line search included */
  evaluations: number;
  converged: boolean;
  /** why it stopped */
  stop: 'gradient' | 'loss-change' | 'max-iterations' | 'line-search';
}

interface Point {
  x: tf.Tensor2D;
  f: number;
  g: tf.Tensor2D;
}

const dot = (a: tf.Tensor, b: tf.Tensor): number => {
  const s = tf.tidy(() => tf.sum(tf.mul(a, b)));
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
};

const maxAbs = (a: tf.Tensor): number => {
  const s = tf.tidy(() => tf.max(tf.abs(a)));
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
};

/**
 * Loss and gradient of the objective at theta = [W; b] ([d+1, k]), given the
 * design matrix with a trailing column of ones and one-hot labels.
 */
export function makeObjective(xa: tf.Tensor2D, y: tf.Tensor2D, l2: number): (theta: tf.Tensor2D) => { f: number; g: tf.Tensor2D } {
  const n = xa.shape[0];
  const d1 = xa.shape[1];
  return (theta) => {
    const [fT, g] = tf.tidy(() => {
      const mask = tf.concat([tf.ones([d1 - 1, 1]), tf.zeros([1, 1])], 0);
      const wOnly = tf.mul(theta, mask);
      const logits = tf.matMul(xa, theta);
      // Cross-entropy as logsumexp(z − z_y): each term is computed relative to
      // its own size, not as a difference of two large numbers, so the loss
      // stays resolvable in float32 close to the optimum.
      const picked = tf.sum(tf.mul(y, logits), 1, true);
      const ce = tf.mean(tf.logSumExp(tf.sub(logits, picked), 1));
      const f = tf.add(ce, tf.mul(0.5 * l2, tf.sum(tf.square(wOnly))));
      const p = tf.softmax(logits);
      const grad = tf.add(tf.div(tf.matMul(xa, tf.sub(p, y), true, false), n), tf.mul(l2, wOnly)) as tf.Tensor2D;
      return [f, grad];
    });
    const f = fT.dataSync()[0]!;
    fT.dispose();
    return { f, g };
  };
}

/** Fit the model. features [n, d] (float), labels in 0..numClasses−1. */
export async function fitLogReg(features: tf.Tensor2D, labels: Int32Array | tf.Tensor1D, options: LogRegOptions): Promise<LogRegFit> {
  const { l2, numClasses, maxIter = 500, gradTol = 1e-5, lossTol = 1e-9, patience = 10, history = 10, init, signal, onProgress } = options;
  if (!(l2 >= 0)) throw new Error(`logistic regression: l2 must be ≥ 0, got ${l2}`);
  const [n, d] = features.shape;
  const nLabels = labels instanceof Int32Array ? labels.length : labels.shape[0];
  if (nLabels !== n) throw new Error(`logistic regression: ${n} feature rows but ${nLabels} labels`);
  if (n === 0) throw new Error('logistic regression: no training examples');
  if (labels instanceof Int32Array) {
    const bad = labels.findIndex((l) => l < 0 || l >= numClasses);
    if (bad >= 0) throw new Error(`logistic regression: label ${labels[bad]} at row ${bad} is outside 0..${numClasses - 1}`);
  }

  const xa = tf.tidy(() => tf.concat([features.toFloat(), tf.ones([n, 1])], 1) as tf.Tensor2D);
  const y = tf.tidy(() => tf.oneHot(labels instanceof Int32Array ? tf.tensor1d(labels, 'int32') : labels.toInt(), numClasses).toFloat() as tf.Tensor2D);
  const objective = makeObjective(xa, y, l2);
  let evaluations = 0;
  const evalAt = (x: tf.Tensor2D): Point => {
    evaluations++;
    return { x, ...objective(x) };
  };

  if (init && (init.weights.shape[0] !== d || init.weights.shape[1] !== numClasses || init.bias.shape[0] !== numClasses)) {
    xa.dispose();
    y.dispose();
    throw new Error(`logistic regression: warm start has weights [${init.weights.shape.join(', ')}], expected [${d}, ${numClasses}]`);
  }
  const x0 = init
    ? tf.tidy(() => tf.concat([init.weights, tf.reshape(init.bias, [1, numClasses])], 0) as tf.Tensor2D)
    : (tf.zeros([d + 1, numClasses]) as tf.Tensor2D);
  let cur = evalAt(x0);
  const S: tf.Tensor2D[] = [];
  const Y: tf.Tensor2D[] = [];
  const rho: number[] = [];
  let iterations = 0;
  let stop: LogRegFit['stop'] = 'max-iterations';
  let gradNorm = maxAbs(cur.g);
  const recent: number[] = [];

  try {
    while (true) {
      if (gradNorm <= gradTol) {
        stop = 'gradient';
        break;
      }
      if (iterations >= maxIter) break;
      if (signal?.aborted) throw abortError();

      // Two-loop recursion: direction = −H·g.
      let dir = twoLoop(cur.g, S, Y, rho);
      let gd = dot(cur.g, dir);
      if (!(gd < 0)) {
        // Not a descent direction (numerical trouble): restart from steepest descent.
        dir.dispose();
        clear(S, Y, rho);
        dir = tf.neg(cur.g);
        gd = dot(cur.g, dir);
      }
      // The first step has no curvature information: scale it to unit length.
      const t0 = S.length === 0 ? Math.min(1, 1 / Math.sqrt(-gd)) : 1;
      const next = lineSearch(cur, dir, gd, t0, evalAt);
      dir.dispose();
      if (!next) {
        stop = 'line-search';
        break;
      }
      iterations++;
      const s = tf.sub(next.x, cur.x) as tf.Tensor2D;
      const yv = tf.sub(next.g, cur.g) as tf.Tensor2D;
      const ys = dot(yv, s);
      if (ys > 1e-12 * Math.max(1, dot(yv, yv))) {
        S.push(s);
        Y.push(yv);
        rho.push(1 / ys);
        if (S.length > history) {
          S.shift()!.dispose();
          Y.shift()!.dispose();
          rho.shift();
        }
      } else {
        s.dispose();
        yv.dispose();
      }
      recent.push(cur.f);
      if (recent.length > patience) recent.shift();
      const prevF = recent[0]!;
      dispose(cur);
      cur = next;
      gradNorm = maxAbs(cur.g);
      onProgress?.({ iteration: iterations, loss: cur.f, gradNorm });
      if (recent.length === patience && Math.abs(prevF - cur.f) <= lossTol * Math.max(1, Math.abs(cur.f), Math.abs(prevF))) {
        stop = gradNorm <= gradTol ? 'gradient' : 'loss-change';
        break;
      }
      // Let other work (progress output, abort handlers) run between iterations.
      if (iterations % 25 === 0) await new Promise((r) => setImmediate(r));
    }
    const model = tf.tidy(() => ({
      weights: tf.slice(cur.x, [0, 0], [d, numClasses]) as tf.Tensor2D,
      bias: tf.reshape(tf.slice(cur.x, [d, 0], [1, numClasses]), [numClasses]) as tf.Tensor1D,
    }));
    return {
      model,
      loss: cur.f,
      gradNorm,
      iterations,
      evaluations,
      // Stalling on the loss while the gradient is still tiny relative to its size is convergence
      // at float32 resolution; a line-search failure at a small gradient likewise.
      converged: stop === 'gradient' || ((stop === 'loss-change' || stop === 'line-search') && gradNorm <= 100 * gradTol),
      stop,
    };
  } finally {
    dispose(cur);
    clear(S, Y, rho);
    xa.dispose();
    y.dispose();
  }
}

function dispose(p: Point): void {
  p.x.dispose();
  p.g.dispose();
}

function clear(S: tf.Tensor[], Y: tf.Tensor[], rho: number[]): void {
  for (const t of S) t.dispose();
  for (const t of Y) t.dispose();
  S.length = 0;
  Y.length = 0;
  rho.length = 0;
}

function twoLoop(g: tf.Tensor2D, S: tf.Tensor2D[], Y: tf.Tensor2D[], rho: number[]): tf.Tensor2D {
  const m = S.length;
  if (m === 0) return tf.neg(g);
  const alpha = new Array<number>(m);
  let q = g.clone();
  for (let i = m - 1; i >= 0; i--) {
    alpha[i] = rho[i]! * dot(S[i]!, q);
    const nq = tf.tidy(() => tf.sub(q, tf.mul(alpha[i]!, Y[i]!))) as tf.Tensor2D;
    q.dispose();
    q = nq;
  }
  // Initial Hessian scaling gamma = s'y / y'y of the newest pair (Nocedal & Wright eq. 7.20).
  const gamma = 1 / (rho[m - 1]! * dot(Y[m - 1]!, Y[m - 1]!));
  let r = tf.mul(q, gamma) as tf.Tensor2D;
  q.dispose();
  for (let i = 0; i < m; i++) {
    const beta = rho[i]! * dot(Y[i]!, r);
    const nr = tf.tidy(() => tf.add(r, tf.mul(alpha[i]! - beta, S[i]!))) as tf.Tensor2D;
    r.dispose();
    r = nr;
  }
  const dir = tf.neg(r) as tf.Tensor2D;
  r.dispose();
  return dir;
}

const C1 = 1e-4;
const C2 = 0.9;
/** Hager–Zhang approximate-Wolfe parameters: relative loss slack and the slope bound's delta. */
const EPS_F = 1e-6;
const DELTA = 0.1;

/**
 * Strong-Wolfe line search (Nocedal & Wright, Algorithms 3.5 and 3.6) with
 * safeguarded cubic interpolation in the zoom phase. Returns the accepted
 * point (caller owns it) or null when no acceptable step was found.
 */
function lineSearch(cur: Point, dir: tf.Tensor2D, gd0: number, t0: number, evalAt: (x: tf.Tensor2D) => Point): Point | null {
  const f0 = cur.f;
  // Near the optimum the loss changes by less than float32 can resolve, and
  // the Armijo test fails on rounding noise. Hager & Zhang's approximate Wolfe
  // conditions (SIAM J. Optim. 2005) then decide on the slope, which is still
  // accurate: loss within EPS_F·|f0| of f0, and C2·φ'(0) ≤ φ'(t) ≤ (1 − 2·DELTA)·|φ'(0)|.
  const approxWolfe = (f: number, dphi: number): boolean =>
    f <= f0 + EPS_F * Math.abs(f0) && dphi >= C2 * gd0 && dphi <= (2 * DELTA - 1) * gd0;
  const at = (t: number): { p: Point; dphi: number } => {
    const x = tf.tidy(() => tf.add(cur.x, tf.mul(t, dir))) as tf.Tensor2D;
    const p = evalAt(x);
    return { p, dphi: dot(p.g, dir) };
  };

  let tPrev = 0;
  let fPrev = f0;
  let dPrev = gd0;
  let prev: Point | null = null;
  let t = t0;
  const maxBracket = 20;
  const maxZoom = 30;

  const zoom = (tLo: number, fLo: number, dLo: number, lo: Point | null, tHi: number, fHi: number, dHi: number): Point | null => {
    for (let i = 0; i < maxZoom; i++) {
      let tj = cubicMin(tLo, fLo, dLo, tHi, fHi, dHi);
      const a = Math.min(tLo, tHi);
      const b = Math.max(tLo, tHi);
      const margin = 0.1 * (b - a);
      if (!Number.isFinite(tj) || tj < a + margin || tj > b - margin) tj = (a + b) / 2;
      const { p, dphi } = at(tj);
      if (approxWolfe(p.f, dphi)) {
        if (lo) dispose(lo);
        return p;
      }
      if (p.f > f0 + C1 * tj * gd0 || p.f >= fLo) {
        tHi = tj;
        fHi = p.f;
        dHi = dphi;
        dispose(p);
      } else {
        if (Math.abs(dphi) <= -C2 * gd0) {
          if (lo) dispose(lo);
          return p;
        }
        if (dphi * (tHi - tLo) >= 0) {
          tHi = tLo;
          fHi = fLo;
          dHi = dLo;
        }
        if (lo) dispose(lo);
        lo = p;
        tLo = tj;
        fLo = p.f;
        dLo = dphi;
      }
      if (Math.abs(tHi - tLo) < 1e-12 * Math.max(1, tLo)) break;
    }
    // Out of zoom iterations: take the best point with sufficient decrease, if any.
    return lo;
  };

  for (let i = 0; i < maxBracket; i++) {
    const { p, dphi } = at(t);
    if (Number.isFinite(p.f) && approxWolfe(p.f, dphi)) {
      if (prev) dispose(prev);
      return p;
    }
    if (!Number.isFinite(p.f) || p.f > f0 + C1 * t * gd0 || (i > 0 && p.f >= fPrev)) {
      dispose(p);
      if (!Number.isFinite(fPrev) || !Number.isFinite(p.f)) {
        // Overflow: shrink and retry rather than interpolating with infinities.
        if (prev) {
          return prev;
        }
        t /= 10;
        continue;
      }
      return zoom(tPrev, fPrev, dPrev, prev, t, p.f, dphi);
    }
    if (Math.abs(dphi) <= -C2 * gd0) {
      if (prev) dispose(prev);
      return p;
    }
    if (dphi >= 0) {
      if (prev) dispose(prev);
      return zoom(t, p.f, dphi, p, tPrev, fPrev, dPrev);
    }
    if (prev) dispose(prev);
    prev = p;
    tPrev = t;
    fPrev = p.f;
    dPrev = dphi;
    t *= 2;
  }
  return prev;
}

/** Minimiser of the cubic interpolating f and f' at two points (N&W eq. 3.59). */
function cubicMin(t1: number, f1: number, d1: number, t2: number, f2: number, d2: number): number {
  const e1 = d1 + d2 - (3 * (f1 - f2)) / (t1 - t2);
  const disc = e1 * e1 - d1 * d2;
  if (disc < 0) return NaN;
  const e2 = Math.sign(t2 - t1) * Math.sqrt(disc);
  return t2 - (t2 - t1) * ((d2 + e2 - e1) / (d2 - d1 + 2 * e2));
}

/** Class scores x·W + b for features [n, d] → [n, k]. */
export function logRegLogits(model: LogRegModel, features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(features, model.weights), model.bias) as tf.Tensor2D);
}

export function disposeLogReg(model: LogRegModel): void {
  model.weights.dispose();
  model.bias.dispose();
}

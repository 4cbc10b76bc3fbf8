/**
 * Independent float64 reference for L2-regularised multinomial logistic
 * regression: plain JavaScript, damped Newton's method with an exact Hessian
 * and Armijo backtracking. Only for tiny problems (the Hessian is dense).
 *
 * Objective, identical in meaning to fitLogReg's:
 *   f(W, b) = mean_i [ logsumexp(x_i W + b) − (x_i W + b)_{y_i} ] + l2/2 · ||W||²
 * theta is laid out row-major as [d + 1, k], the last row being the bias.
 */

export interface Problem {
  x: Float64Array; // n × d, row-major
  y: Int32Array;
  n: number;
  d: number;
  k: number;
}

export function objective64(p: Problem, theta: Float64Array, l2: number): { f: number; g: Float64Array; probs: Float64Array } {
  const { x, y, n, d, k } = p;
  const g = new Float64Array((d + 1) * k);
  const probs = new Float64Array(n * k);
  let f = 0;
  const z = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = theta[d * k + c]!;
      for (let j = 0; j < d; j++) s += x[i * d + j]! * theta[j * k + c]!;
      z[c] = s;
    }
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[c]! - m);
    const lse = m + Math.log(sum);
    f += lse - z[y[i]!]!;
    for (let c = 0; c < k; c++) {
      const pc = Math.exp(z[c]! - lse);
      probs[i * k + c] = pc;
      const r = (pc - (c === y[i] ? 1 : 0)) / n;
      for (let j = 0; j < d; j++) g[j * k + c]! += x[i * d + j]! * r;
      g[d * k + c]! += r;
    }
  }
  f /= n;
  let reg = 0;
  for (let j = 0; j < d; j++) {
    for (let c = 0; c < k; c++) {
      const w = theta[j * k + c]!;
      reg += w * w;
      g[j * k + c]! += l2 * w;
    }
  }
  return { f: f + 0.5 * l2 * reg, g, probs };
}

function hessian(p: Problem, probs: Float64Array, l2: number): Float64Array {
  const { x, n, d, k } = p;
  const P = (d + 1) * k;
  const H = new Float64Array(P * P);
  const xa = (i: number, j: number) => (j === d ? 1 : x[i * d + j]!);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= d; j++) {
      const xj = xa(i, j);
      for (let l = 0; l <= d; l++) {
        const xjl = (xj * xa(i, l)) / n;
        for (let c = 0; c < k; c++) {
          const pc = probs[i * k + c]!;
          for (let e = 0; e < k; e++) {
            const w = pc * ((c === e ? 1 : 0) - probs[i * k + e]!);
            H[(j * k + c) * P + (l * k + e)]! += xjl * w;
          }
        }
      }
    }
  }
  for (let j = 0; j < d; j++) for (let c = 0; c < k; c++) H[(j * k + c) * P + (j * k + c)]! += l2;
  return H;
}

/** Solve A·v = b by Gaussian elimination with partial pivoting (A is copied). */
function solve(A0: Float64Array, b0: Float64Array): Float64Array {
  const m = b0.length;
  const A = Float64Array.from(A0);
  const b = Float64Array.from(b0);
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(A[r * m + col]!) > Math.abs(A[piv * m + col]!)) piv = r;
    if (piv !== col) {
      for (let c = 0; c < m; c++) [A[col * m + c], A[piv * m + c]] = [A[piv * m + c]!, A[col * m + c]!];
      [b[col], b[piv]] = [b[piv]!, b[col]!];
    }
    const a = A[col * m + col]!;
    for (let r = col + 1; r < m; r++) {
      const factor = A[r * m + col]! / a;
      if (factor === 0) continue;
      for (let c = col; c < m; c++) A[r * m + c]! -= factor * A[col * m + c]!;
      b[r]! -= factor * b[col]!;
    }
  }
  const v = new Float64Array(m);
  for (let r = m - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let c = r + 1; c < m; c++) s -= A[r * m + c]! * v[c]!;
    v[r] = s / A[r * m + r]!;
  }
  return v;
}

/**
 * Newton's method. The bias block is unpenalised, so the Hessian is singular
 * along "add a constant to every class's bias"; a tiny damping term makes the
 * system solvable, and since the gradient has no component along that
 * direction the step ignores it.
 */
export function newtonLogReg(p: Problem, l2: number, tol = 1e-12, maxIter = 100): { theta: Float64Array; f: number; gradNorm: number; iterations: number } {
  const P = (p.d + 1) * p.k;
  let theta = new Float64Array(P);
  let cur = objective64(p, theta, l2);
  let it = 0;
  for (; it < maxIter; it++) {
    const gradNorm = Math.max(...Array.from(cur.g, Math.abs));
    if (gradNorm < tol) break;
    const H = hessian(p, cur.probs, l2);
    for (let i = 0; i < P; i++) H[i * P + i]! += 1e-10;
    const step = solve(H, cur.g.map((v) => -v));
    let gd = 0;
    for (let i = 0; i < P; i++) gd += cur.g[i]! * step[i]!;
    let t = 1;
    for (let ls = 0; ls < 60; ls++) {
      const cand = theta.map((v, i) => v + t * step[i]!);
      const next = objective64(p, cand, l2);
      if (next.f <= cur.f + 1e-4 * t * gd) {
        theta = cand;
        cur = next;
        break;
      }
      t /= 2;
    }
  }
  return { theta, f: cur.f, gradNorm: Math.max(...Array.from(cur.g, Math.abs)), iterations: it };
}

/** Seeded Gaussian-cluster classification problem. */
export function makeProblem(n: number, d: number, k: number, seed: number, spread = 1.5): Problem {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => spread * gauss()));
  const x = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    for (let j = 0; j < d; j++) x[i * d + j] = centres[c]![j]! + gauss() + 0.5 * j; // offsets so the bias matters
  }
  return { x, y, n, d, k };
}

/**
 * Float64 references for the embed tests: plain loops over number arrays,
 * written from the textbook definitions and sharing no code with the engine.
 */

/** Dense t-SNE gradient and KL for symmetric P (n x n, row-major, zero diagonal, sums to 1). */
export function tsneGradientReference(p: ArrayLike<number>, y: ArrayLike<number>, n: number, exaggeration: number): { grad: number[]; kl: number } {
  const w: number[] = new Array(n * n).fill(0);
  let z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const dx = y[2 * i]! - y[2 * j]!;
      const dy = y[2 * i + 1]! - y[2 * j + 1]!;
      w[i * n + j] = 1 / (1 + dx * dx + dy * dy);
      z += w[i * n + j]!;
    }
  }
  const grad: number[] = new Array(2 * n).fill(0);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const q = w[i * n + j]! / z;
      const pij = p[i * n + j]!;
      // dC/dy_i = 4 sum_j (p_ij - q_ij) w_ij (y_i - y_j), with p scaled by the exaggeration
      const m = 4 * (exaggeration * pij - q) * w[i * n + j]!;
      grad[2 * i] += m * (y[2 * i]! - y[2 * j]!);
      grad[2 * i + 1] += m * (y[2 * i + 1]! - y[2 * j + 1]!);
      if (pij > 0) kl += pij * Math.log(pij / q);
    }
  }
  return { grad, kl };
}

/** Trustworthiness by full sorting of every row in both spaces. */
export function trustworthinessReference(x: ArrayLike<number>, dx: number, y: ArrayLike<number>, dy: number, n: number, k: number): number {
  const dist = (a: ArrayLike<number>, d: number, i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (a[i * d + c]! - a[j * d + c]!) ** 2;
    return s;
  };
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
    const byX = [...others].sort((a, b) => dist(x, dx, i, a) - dist(x, dx, i, b));
    const rank = new Map(byX.map((j, r) => [j, r + 1]));
    const byY = [...others].sort((a, b) => dist(y, dy, i, a) - dist(y, dy, i, b)).slice(0, k);
    for (const j of byY) sum += Math.max(0, rank.get(j)! - k);
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * sum;
}

/** Well-separated Gaussian clusters in d dimensions: centres on a scaled simplex-like random set. */
export function gaussianClusters(clusters: number, perCluster: number, d: number, separation: number, seed: number): { data: Float32Array; labels: Int32Array; n: number; d: number } {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  const n = clusters * perCluster;
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const centres = Array.from({ length: clusters }, (_, c) => Array.from({ length: d }, (_, j) => (j === c % d ? separation : 0) + normal() * separation * 0.2));
  for (let c = 0; c < clusters; c++) {
    for (let i = 0; i < perCluster; i++) {
      const r = c * perCluster + i;
      labels[r] = c;
      for (let j = 0; j < d; j++) data[r * d + j] = centres[c]![j]! + normal();
    }
  }
  return { data, labels, n, d };
}

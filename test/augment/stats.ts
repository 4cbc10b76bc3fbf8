/** Small statistics helpers for the distribution tests (deterministic seeds, wide tolerances). */

/** Kolmogorov-Smirnov distance between a sample and a continuous CDF. */
export function ksDistance(sample: number[], cdf: (x: number) => number): number {
  const s = [...sample].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  s.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  });
  return d;
}

/** The KS critical distance at significance 0.001 (c(alpha) = 1.95). */
export const ksCritical = (n: number) => 1.95 / Math.sqrt(n);

export const uniformCdf = (lo: number, hi: number) => (x: number) => Math.min(1, Math.max(0, (x - lo) / (hi - lo)));

/** Pearson chi-square statistic of counts against equal expected frequencies. */
export function chiSquareUniform(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
}

/** A generous upper bound for chi-square with df degrees of freedom (mean + 5 sd). */
export const chiSquareBound = (df: number) => df + 5 * Math.sqrt(2 * df);

/** |observed fraction - p| within 4.5 binomial standard errors. */
export function withinBinomial(hits: number, n: number, p: number): boolean {
  return Math.abs(hits / n - p) <= 4.5 * Math.sqrt((p * (1 - p)) / n);
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1);
};

import { seededRandom, shuffle as shuffleInPlace } from '../data/util.js';

/** Options every long-running evaluation function takes. */
export interface ProgressOptions<E> {
  signal?: AbortSignal;
  onProgress?: (event: E) => void;
}

/** Yield to the event loop so progress output and abort handlers run. */
export function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

// Seeded uniform [0, 1) stream (mulberry32) and Fisher–Yates shuffle: splits and
// label subsets must be the same on every machine for a given seed, so they use
// the dataset layer's generator.
export { seededRandom, shuffleInPlace };

/**
 * Class-balanced seeded subset: from each class, round(fraction · count)
 * examples (at least one), chosen at random. Returns sorted indices.
 * This is the semi-supervised setting of the SimCLR paper (1% / 10% of labels).
 */
export function balancedSubset(labels: Int32Array, fraction: number, seed: number): number[] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`label fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1) return Array.from(labels.keys());
  const byClass = groupByClass(labels);
  const rand = seededRandom(seed);
  const out: number[] = [];
  for (const idx of byClass.values()) {
    const take = Math.max(1, Math.round(fraction * idx.length));
    out.push(...shuffleInPlace(idx, rand).slice(0, take));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Seeded stratified split into (fit, validation): valFraction of each class
 * goes to validation (at least one per class when the class has two or more).
 */
export function stratifiedSplit(labels: Int32Array, valFraction: number, seed: number): { fit: number[]; val: number[] } {
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`validation fraction must be in (0, 1), got ${valFraction}`);
  const rand = seededRandom(seed ^ 0x5eed);
  const fit: number[] = [];
  const val: number[] = [];
  for (const idx of groupByClass(labels).values()) {
    shuffleInPlace(idx, rand);
    const nVal = idx.length < 2 ? 0 : Math.max(1, Math.round(valFraction * idx.length));
    val.push(...idx.slice(0, nVal));
    fit.push(...idx.slice(nVal));
  }
  return { fit: fit.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}

function groupByClass(labels: Int32Array): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  labels.forEach((c, i) => {
    if (c < 0) return;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  });
  // Iterate classes in ascending order so the stream is consumed the same way every time.
  return new Map([...byClass.entries()].sort((a, b) => a[0] - b[0]));
}

export function pick(labels: Int32Array, indices: number[]): Int32Array {
  return Int32Array.from(indices, (i) => labels[i]!);
}

import crypto from 'node:crypto';
import type { SplitStats } from '../../shared/dataset.js';
import { subset, type Dataset, type ImageSet } from './types.js';
import { bytesOf, seededRandom, shuffle } from './util.js';

/** Per-class counts and per-channel mean/std (pixel values scaled to [0, 1]). */
export function computeStats(set: ImageSet, numClasses: number): SplitStats {
  const perClass = new Array<number>(numClasses).fill(0);
  let unlabeled = 0;
  for (let i = 0; i < set.count; i++) {
    const l = set.labels[i]!;
    if (l < 0 || l >= numClasses) unlabeled++;
    else perClass[l]!++;
  }
  const c = set.channels;
  // Integer sums per channel: exact, and far below 2^53 for any real dataset.
  const sum = new Array<number>(c).fill(0);
  const sq = new Array<number>(c).fill(0);
  const img = set.images;
  // Count byte values per channel first (a histogram), then reduce: one array
  // increment per byte instead of two float multiply-adds.
  const hist = Array.from({ length: c }, () => new Float64Array(256));
  if (c === 1) {
    const h = hist[0]!;
    for (let i = 0; i < img.length; i++) h[img[i]!]!++;
  } else {
    const h0 = hist[0]!, h1 = hist[1]!, h2 = hist[2]!;
    for (let i = 0; i < img.length; i += 3) {
      h0[img[i]!]!++;
      h1[img[i + 1]!]!++;
      h2[img[i + 2]!]!++;
    }
  }
  for (let ch = 0; ch < c; ch++) {
    const h = hist[ch]!;
    for (let v = 0; v < 256; v++) {
      sum[ch]! += v * h[v]!;
      sq[ch]! += v * v * h[v]!;
    }
  }
  const n = set.count * set.height * set.width;
  const mean = sum.map((s) => (n ? s / n / 255 : 0));
  const std = sq.map((s, ch) => (n ? Math.sqrt(Math.max(0, s / n / (255 * 255) - mean[ch]! ** 2)) : 0));
  return { count: set.count, perClass, unlabeled, mean, std };
}

export interface ValSplitOptions {
  /** share of train moved to val, 0 < fraction < 1 */
  fraction: number;
  seed: number;
  /** keep class proportions (default true; unlabeled images are split at random either way) */
  stratified?: boolean;
}

/**
 * Deterministic train/val split: the same set, fraction and seed always pick the
 * same images. Both parts keep the original image order.
 */
export function splitTrainVal(set: ImageSet, opts: ValSplitOptions): { train: ImageSet; val: ImageSet; valIndices: Int32Array } {
  if (!(opts.fraction > 0 && opts.fraction < 1)) throw new Error(`val fraction ${opts.fraction}: give a number between 0 and 1 (e.g. 0.1)`);
  const rand = seededRandom(opts.seed);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < set.count; i++) {
    const key = opts.stratified === false ? 0 : set.labels[i]!;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  // Val size is round(count * fraction) exactly; each class gets its share rounded
  // down, and the images left over go to the classes with the largest remainders.
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const quota = keys.map((k) => groups.get(k)!.length * opts.fraction);
  const take = quota.map(Math.floor);
  let left = Math.round(set.count * opts.fraction) - take.reduce((a, b) => a + b, 0);
  const byRemainder = keys.map((_, i) => i).sort((a, b) => quota[b]! - take[b]! - (quota[a]! - take[a]!) || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    take[i]!++;
    left--;
  }
  const isVal = new Uint8Array(set.count);
  keys.forEach((key, i) => {
    const g = shuffle(groups.get(key)!, rand);
    for (let k = 0; k < take[i]!; k++) isVal[g[k]!] = 1;
  });
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < set.count; i++) (isVal[i] ? valIdx : trainIdx).push(i);
  if (trainIdx.length === 0 || valIdx.length === 0) throw new Error(`val fraction ${opts.fraction} of ${set.count} images leaves an empty ${valIdx.length === 0 ? 'val' : 'train'} split`);
  return { train: subset(set, trainIdx), val: subset(set, valIdx), valIndices: Int32Array.from(valIdx) };
}

/** sha256 over the pixels then the labels (int32 little-endian) of train, then test. Hex. */
export function contentChecksum(ds: Pick<Dataset, 'splits'>): string {
  const h = crypto.createHash('sha256');
  for (const name of ['train', 'test'] as const) {
    const s = ds.splits[name];
    if (!s) continue;
    h.update(s.images);
    h.update(bytesOf(s.labels));
  }
  return h.digest('hex');
}

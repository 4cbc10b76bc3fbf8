/**
 * Feature extraction: a run's encoder over a split (or a seeded sample of it),
 * in batches, inference only (batch norm on running statistics, no gradient
 * tape), giving the representation h and the projection z for every image.
 *
 *   sampleIndices(count, n, seed)            sorted seeded sample without replacement (all when n = 0 or n >= count)
 *   extractFeatures(model, pipeline, set, indices, opts) -> { h, z, hDim, zDim }
 *   openRunDataset(record, opts)              the run's dataset, as evaluation opens it
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { evalBatch } from '../augment/index.js';
import { openDataset } from '../data/index.js';
import type { Dataset, ImageSet } from '../data/types.js';
import type { Model } from '../models/index.js';
import type { Pipeline } from '../../shared/pipeline.js';
import type { RunRecord } from '../../shared/run.js';
import { abortError } from '../abort.js';
import { seededRandom } from './pca.js';

/** n distinct indices of 0..count-1 (partial Fisher-Yates on a seeded stream), ascending. */
export function sampleIndices(count: number, n: number, seed: number): Int32Array {
  if (n <= 0 || n >= count) return Int32Array.from({ length: count }, (_, i) => i);
  const rand = seededRandom(seed);
  const pool = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (count - i));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, n).sort();
}

export interface ExtractOptions {
  batchSize?: number;
  /** also run the projection head (z); default true */
  projection?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface ExtractedFeatures {
  h: Float32Array;
  hDim: number;
  z: Float32Array | null;
  zDim: number;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function extractFeatures(model: Model, pipeline: Pipeline, set: ImageSet, indices: Int32Array, opts: ExtractOptions = {}): Promise<ExtractedFeatures> {
  const batch = Math.max(1, opts.batchSize ?? 256);
  const withZ = opts.projection ?? true;
  const n = indices.length;
  const hDim = model.featureDim;
  const zDim = withZ ? model.projectionDim : 0;
  const h = new Float32Array(n * hDim);
  const z = withZ ? new Float32Array(n * zDim) : null;
  for (let a = 0; a < n; a += batch) {
    if (opts.signal?.aborted) throw abortError();
    const idx = indices.subarray(a, Math.min(n, a + batch));
    const out = tf.tidy(() => {
      const x = evalBatch(set, idx, pipeline);
      const hh = model.encode(x, false);
      return withZ ? [hh, model.project(hh, false)] : [hh];
    });
    const hb = out[0]!;
    const zb = out[1];
    h.set(hb.dataSync() as Float32Array, a * hDim);
    hb.dispose();
    if (zb && z) {
      z.set(zb.dataSync() as Float32Array, a * zDim);
      zb.dispose();
    }
    opts.onProgress?.(a + idx.length, n);
    await nextTick();
  }
  return { h, hDim, z, zDim };
}

/** The run's dataset: from where training read it, else as the config named it (as evaluation does). */
export async function openRunDataset(record: RunRecord, opts: { dataRoot?: string; cache?: boolean; signal?: AbortSignal } = {}): Promise<Dataset> {
  const open = (ref: string) => openDataset(ref, { dataRoot: opts.dataRoot, cache: opts.cache, signal: opts.signal });
  if (record.dataset.path && fs.existsSync(record.dataset.path)) return open(record.dataset.path);
  const ref = record.config.dataset;
  if (typeof ref !== 'string') throw new Error(`run.json: the dataset is no longer at ${record.dataset.path}; restore it there to embed this run`);
  return open(ref);
}

/** The named split of a dataset, with a message listing the ones it has. */
export function splitOf(ds: Dataset, split: string): ImageSet {
  const set = (ds.splits as Record<string, ImageSet | undefined>)[split];
  if (!set) throw new Error(`dataset ${ds.name} has no "${split}" split (it has: ${Object.keys(ds.splits).join(', ')}); pass --split`);
  return set;
}

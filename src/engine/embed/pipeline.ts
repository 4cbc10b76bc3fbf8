/**
 * The embedding job end to end: features (a run's encoder, raw pixels or a
 * features file) -> 2-D projection (t-SNE or UMAP) -> thumbnail atlas, every
 * result written beside the others under one name (file names in
 * src/shared/embed.ts). Features already extracted with the same checkpoint,
 * split and sample are reused, so a UMAP after a t-SNE does not run the
 * encoder again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { currentBackend, initBackend } from '../backend/index.js';
import { openDataset } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { loadEncoder } from '../train/index.js';
import { parseEmbedOptions, type EmbedOptions, type EmbedOptionsInput, type EmbedProgress, type FeaturesMeta } from '../../shared/embed.js';
import { writeAtlas } from './atlas.js';
import { extractFeatures, openRunDataset, sampleIndices, splitOf } from './extract.js';
import { abortError } from '../abort.js';
import type { Points } from './knn.js';
import { pca } from './pca.js';
import { embeddingsDir, readFeatures, writeFeatures, writeProjection, type Features } from './store.js';
import { tsne } from './tsne.js';
import { umap } from './umap.js';

export interface EmbedControl {
  signal?: AbortSignal;
  onProgress?: (event: EmbedProgress) => void;
  /** tfjs backend preference (initBackend); default auto */
  backend?: string;
  /** data root for opening datasets (default: defaultDataRoot()) */
  dataRoot?: string;
  /** use/write the decoded dataset cache (default true) */
  cache?: boolean;
}

export interface EmbedOutcome {
  dir: string;
  name: string;
  count: number;
  featuresFile: string;
  reusedFeatures: boolean;
  projectionFile: string;
  atlasFile: string | null;
  method: EmbedOptions['method'];
  features: EmbedOptions['features'];
  /** final KL for t-SNE, null for UMAP */
  kl: number | null;
  seconds: { features: number; projection: number; atlas: number; total: number };
}

export interface Projected {
  coords: Float32Array;
  kl: number | null;
  seconds: number;
  params: Record<string, unknown>;
}

/** Project points to 2-D with the options' method; progress as EmbedProgress. */
export async function projectPoints(points: Points, options: EmbedOptions, ctl: EmbedControl = {}): Promise<Projected> {
  const emit = ctl.onProgress ?? (() => {});
  if (options.method === 'tsne') {
    const r = await tsne(points, {
      perplexity: options.perplexity,
      iterations: options.iterations,
      method: options.gradient,
      seed: options.seed,
      signal: ctl.signal,
      onProgress: (e) => {
        if (e.phase === 'affinities') emit({ stage: 'affinities', done: 0, total: 1, elapsedMs: e.elapsedMs });
        else if (e.phase === 'optimize') emit({ stage: 'optimize', done: e.iteration, total: e.iterations, kl: e.kl, elapsedMs: e.elapsedMs, etaMs: e.etaMs });
      },
    });
    return {
      coords: r.coords,
      kl: r.kl,
      seconds: r.seconds.total,
      params: { perplexity: r.perplexity, iterations: r.iterations, gradient: r.method, learningRate: r.learningRate, earlyExaggeration: r.earlyExaggeration, seed: options.seed },
    };
  }
  const r = await umap(points, {
    neighbors: options.neighbors,
    minDist: options.minDist,
    seed: options.seed,
    signal: ctl.signal,
    onProgress: (e) => {
      if (e.phase === 'neighbors') emit({ stage: 'affinities', done: 0, total: 1, elapsedMs: e.elapsedMs });
      else if (e.phase === 'optimize') emit({ stage: 'optimize', done: e.epoch, total: e.epochs, elapsedMs: e.elapsedMs, etaMs: e.etaMs });
    },
  });
  return { coords: r.coords, kl: null, seconds: r.seconds, params: { ...r.params, epochs: r.epochs } };
}

function pointsOf(f: Features, which: EmbedOptions['features'], file: string): Points {
  if (which === 'z') {
    if (!f.z) throw new Error(`${file}: has no projections z (features from ${f.meta.source}); use --features h`);
    return { data: f.z, n: f.count, d: f.zDim };
  }
  return { data: f.h, n: f.count, d: f.hDim };
}

/** Project stored features, then the atlas when images are given; writes everything into dir. */
async function finish(dir: string, name: string, featuresFile: string, f: Features, set: ImageSet | null, options: EmbedOptions, ctl: EmbedControl, t0: number, featureSeconds: number, reused: boolean): Promise<EmbedOutcome> {
  const emit = ctl.onProgress ?? (() => {});
  const points = pointsOf(f, options.features, featuresFile);
  const tp = performance.now();
  const proj = await projectPoints(points, options, ctl);
  const projectionFile = path.join(dir, `${name}.${options.method}-${options.features}.bin`);
  writeProjection(projectionFile, {
    coords: proj.coords,
    labels: f.labels,
    indices: f.indices,
    meta: {
      method: options.method,
      features: options.features,
      from: path.basename(featuresFile),
      params: proj.params,
      kl: proj.kl,
      seconds: proj.seconds,
      backend: currentBackend()?.name ?? 'unknown',
      createdAt: new Date().toISOString(),
    },
  });
  const projSeconds = (performance.now() - tp) / 1000;
  let atlasFile: string | null = null;
  const ta = performance.now();
  if (options.atlas && set) {
    if (ctl.signal?.aborted) throw abortError();
    const base = path.join(dir, name);
    await writeAtlas(set, f.indices, base, {
      cellSize: options.cellSize,
      signal: ctl.signal,
      onProgress: (done, total) => emit({ stage: 'atlas', done, total, elapsedMs: performance.now() - t0 }),
    });
    atlasFile = `${base}.atlas.json`;
  }
  const total = (performance.now() - t0) / 1000;
  emit({ stage: 'done', done: 1, total: 1, kl: proj.kl ?? undefined, elapsedMs: total * 1000 });
  return {
    dir,
    name,
    count: f.count,
    featuresFile,
    reusedFeatures: reused,
    projectionFile,
    atlasFile,
    method: options.method,
    features: options.features,
    kl: proj.kl,
    seconds: { features: featureSeconds, projection: projSeconds, atlas: (performance.now() - ta) / 1000, total },
  };
}

function defaultName(split: string, count: number, total: number, seed: number, suffix = ''): string {
  return count < total ? `${split}-n${count}-s${seed}${suffix}` : `${split}-all${suffix}`;
}

function reusable(file: string, want: Partial<FeaturesMeta>, indices: Int32Array): Features | null {
  if (!fs.existsSync(file)) return null;
  try {
    const f = readFeatures(file);
    for (const [k, v] of Object.entries(want)) if ((f.meta as Record<string, unknown>)[k] !== v) return null;
    if (f.indices.length !== indices.length || f.indices.some((x, i) => x !== indices[i])) return null;
    return f;
  } catch {
    return null;
  }
}

/** Embed a run: its encoder's features of a split (or a seeded sample), saved in <run>/embeddings. */
export async function embedRun(runDir: string, input: EmbedOptionsInput, ctl: EmbedControl = {}): Promise<EmbedOutcome> {
  const t0 = performance.now();
  const options = parseEmbedOptions(input);
  const emit = ctl.onProgress ?? (() => {});
  await initBackend(ctl.backend);
  const loaded = loadEncoder(runDir, { checkpoint: options.checkpoint });
  try {
    const ds = await openRunDataset(loaded.record, { dataRoot: ctl.dataRoot, cache: ctl.cache, signal: ctl.signal });
    const set = splitOf(ds, options.split);
    const indices = sampleIndices(set.count, options.n, options.seed);
    const epoch = loaded.checkpoint?.epoch ?? null;
    const suffix = options.checkpoint === 'latest' ? '' : epoch === null ? '-init' : `-e${epoch}`;
    const name = options.name ?? defaultName(options.split, indices.length, set.count, options.seed, suffix);
    const dir = embeddingsDir(runDir);
    const featuresFile = path.join(dir, `${name}.bin`);
    const sampled = indices.length < set.count;
    const tf0 = performance.now();
    let f = reusable(featuresFile, { source: 'run', split: options.split, epoch, sampleSeed: sampled ? options.seed : null }, indices);
    const reused = f !== null;
    if (!f) {
      const x = await extractFeatures(loaded.model, loaded.pipeline, set, indices, {
        batchSize: options.batchSize,
        signal: ctl.signal,
        onProgress: (done, total) => emit({ stage: 'extract', done, total, elapsedMs: performance.now() - t0 }),
      });
      f = {
        count: indices.length,
        ...x,
        labels: Int32Array.from(indices, (i) => set.labels[i]!),
        indices,
        meta: {
          source: 'run',
          run: loaded.record.id,
          dataset: ds.id,
          split: options.split,
          epoch,
          sampleSeed: sampled ? options.seed : null,
          createdAt: new Date().toISOString(),
          classNames: ds.classNames,
        },
      };
      writeFeatures(featuresFile, f);
    }
    const featureSeconds = (performance.now() - tf0) / 1000;
    return await finish(dir, name, featuresFile, f, set, options, ctl, t0, featureSeconds, reused);
  } finally {
    loaded.model.dispose();
  }
}

/**
 * Embed raw pixels (scaled to [0, 1], reduced to `pcaDims` by PCA): a baseline
 * and a way to use the projector before any run exists. `dataset` is anything
 * openDataset accepts (a CIFAR folder, a builtin id, ...).
 */
export async function embedPixels(dataset: string, outDir: string, input: EmbedOptionsInput & { pcaDims?: number }, ctl: EmbedControl = {}): Promise<EmbedOutcome> {
  const t0 = performance.now();
  const { pcaDims, ...rest } = input;
  const options = parseEmbedOptions(rest);
  const emit = ctl.onProgress ?? (() => {});
  await initBackend(ctl.backend);
  if (options.features === 'z') throw new Error('raw pixels have no projection z: use --features h');
  const ds = await openDataset(dataset, { dataRoot: ctl.dataRoot, cache: ctl.cache, signal: ctl.signal });
  const set = splitOf(ds, options.split);
  const indices = sampleIndices(set.count, options.n, options.seed);
  const name = options.name ?? defaultName(options.split, indices.length, set.count, options.seed, '-pixels');
  const featuresFile = path.join(outDir, `${name}.bin`);
  const tf0 = performance.now();
  emit({ stage: 'extract', done: 0, total: indices.length, elapsedMs: 0 });
  const raw = pixelsOf(set, indices);
  const dims = Math.min(pcaDims ?? 50, raw.d, raw.n);
  const reduced = dims < raw.d ? pca(raw, dims, { seed: options.seed }).projected : raw.data;
  emit({ stage: 'extract', done: indices.length, total: indices.length, elapsedMs: performance.now() - t0 });
  const sampled = indices.length < set.count;
  const f: Features = {
    count: indices.length,
    h: reduced,
    hDim: dims,
    z: null,
    zDim: 0,
    labels: Int32Array.from(indices, (i) => set.labels[i]!),
    indices,
    meta: { source: 'pixels', run: null, dataset: ds.id, split: options.split, epoch: null, sampleSeed: sampled ? options.seed : null, createdAt: new Date().toISOString(), pcaDims: dims, classNames: ds.classNames },
  };
  writeFeatures(featuresFile, f);
  return finish(outDir, name, featuresFile, f, set, options, ctl, t0, (performance.now() - tf0) / 1000, false);
}

/** Project an existing features file; results go beside it (or into outDir). No atlas (no images). */
export async function embedFeaturesFile(file: string, outDir: string | null, input: EmbedOptionsInput, ctl: EmbedControl = {}): Promise<EmbedOutcome> {
  const t0 = performance.now();
  const options = parseEmbedOptions(input);
  await initBackend(ctl.backend);
  const f = readFeatures(file);
  const name = options.name ?? path.basename(file).replace(/\.bin$/, '');
  return finish(outDir ?? path.dirname(file), name, file, f, null, options, ctl, t0, 0, true);
}

/** Pixels of the chosen images as float32 in [0, 1], one row per image. */
export function pixelsOf(set: ImageSet, indices: ArrayLike<number>): Points {
  const d = set.height * set.width * set.channels;
  const data = new Float32Array(indices.length * d);
  for (let i = 0; i < indices.length; i++) {
    const off = indices[i]! * d;
    for (let j = 0; j < d; j++) data[i * d + j] = set.images[off + j]! / 255;
  }
  return { data, n: indices.length, d };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evalBatch } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10, type Dataset } from '../../src/engine/data/index.js';
import { embedRun, readAtlasIndex, readFeatures, readProjection, sampleIndices } from '../../src/engine/embed/index.js';
import { loadEncoder, trainSimclr } from '../../src/engine/train/index.js';
import { embedCommand } from '../../src/cli/commands/embed.js';
import type { EmbedProgress } from '../../src/shared/embed.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

let tmp: string;
let cifar: Dataset;
let runDir: string;

beforeAll(async () => {
  await initBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-embed-'));
  cifar = readCifar10(CIFAR10_DIR);
  // the smallest real run: one epoch over 64 images
  const r = await trainSimclr({
    config: { dataset: CIFAR10_DIR, trainLimit: 64, batchSize: 32, epochs: 1, seed: 3, knn: { every: 0 }, outDir: path.join(tmp, 'runs') },
    dataset: cifar,
  });
  runDir = r.runDir;
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('embedding a run', () => {
  it('extracts h and z of a seeded sample with the run encoder, projects, writes the atlas, then reuses the features', async () => {
    const events: EmbedProgress[] = [];
    const before = tf.memory().numTensors;
    const r = await embedRun(runDir, { n: 150, seed: 4, iterations: 250, perplexity: 10, batchSize: 64 }, { onProgress: (e) => events.push(e), dataRoot: tmp, cache: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.name).toBe('test-n150-s4');
    expect(r.reusedFeatures).toBe(false);
    expect(path.dirname(r.featuresFile)).toBe(path.join(runDir, 'embeddings'));

    const f = readFeatures(r.featuresFile);
    const want = sampleIndices(cifar.splits.test!.count, 150, 4);
    expect(Array.from(f.indices)).toEqual(Array.from(want));
    expect(new Set(f.indices).size).toBe(150);
    expect(Array.from(f.labels)).toEqual(Array.from(want, (i) => cifar.splits.test!.labels[i]!));
    expect(f.meta).toMatchObject({ source: 'run', split: 'test', epoch: 1, sampleSeed: 4 });
    // h and z equal a direct forward pass of the loaded encoder on a few of the images
    const enc = loadEncoder(runDir);
    const pick = [0, 77, 149];
    const direct = tf.tidy(() => {
      const { h, z } = enc.model.forward(evalBatch(cifar.splits.test!, pick.map((i) => f.indices[i]!), enc.pipeline), false);
      return [h.arraySync(), z.arraySync()];
    });
    enc.model.dispose();
    pick.forEach((row, k) => {
      for (let j = 0; j < f.hDim; j += 7) expect(f.h[row * f.hDim + j]).toBeCloseTo(direct[0]![k]![j]!, 4);
      for (let j = 0; j < f.zDim; j += 5) expect(f.z![row * f.zDim + j]).toBeCloseTo(direct[1]![k]![j]!, 4);
    });

    const p = readProjection(r.projectionFile);
    expect(path.basename(r.projectionFile)).toBe('test-n150-s4.tsne-h.bin');
    expect(p.coords).toHaveLength(300);
    expect(Array.from(p.indices)).toEqual(Array.from(f.indices));
    expect(p.meta).toMatchObject({ method: 'tsne', features: 'h', from: 'test-n150-s4.bin', params: { perplexity: 10, iterations: 250, gradient: 'exact' } });
    expect(p.meta.kl).toBeGreaterThan(0);

    const atlas = readAtlasIndex(r.atlasFile!);
    expect(atlas.images).toEqual(Array.from(f.indices));
    expect(fs.existsSync(path.join(runDir, 'embeddings', atlas.sheets[0]!.file))).toBe(true);

    const stages = [...new Set(events.map((e) => e.stage))];
    expect(stages).toEqual(['extract', 'affinities', 'optimize', 'atlas', 'done']);

    // UMAP of z on the same sample: the features file is reused, not re-extracted
    const u = await embedRun(runDir, { n: 150, seed: 4, method: 'umap', features: 'z', atlas: false }, { dataRoot: tmp, cache: false });
    expect(u.reusedFeatures).toBe(true);
    expect(path.basename(u.projectionFile)).toBe('test-n150-s4.umap-z.bin');
    expect(readProjection(u.projectionFile).meta.method).toBe('umap');
  });

  it('is cancelled by its signal during extraction', async () => {
    const ctl = new AbortController();
    const run = embedRun(runDir, { n: 0, name: 'cancelled', batchSize: 32 }, { signal: ctl.signal, dataRoot: tmp, cache: false, onProgress: (e) => e.stage === 'extract' && e.done >= 64 && ctl.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(fs.existsSync(path.join(runDir, 'embeddings', 'cancelled.bin'))).toBe(false);
  });

  it('CLI: embeds raw pixels before any run exists, and explains bad flags', async () => {
    const out = path.join(tmp, 'pixels');
    const lines: string[] = [];
    const progress: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (progress.push(String(s)), true));
    try {
      const code = await embedCommand.run(['--pixels', CIFAR10_DIR, '--out', out, '--n', '200', '--iterations', '250', '--perplexity', '15', '--pca', '20', '--json', '--data-root', tmp]);
      expect(code).toBe(0);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    // --json: one JSON document (the result) on stdout, progress as JSON lines on stderr.
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!);
    expect(result.count).toBe(200);
    expect(progress.join('').split('\n').filter((l) => l.startsWith('{')).some((l) => JSON.parse(l).stage === 'optimize')).toBe(true);
    const f = readFeatures(result.featuresFile);
    expect(f.hDim).toBe(20);
    expect(f.meta.source).toBe('pixels');
    expect(readProjection(result.projectionFile).coords).toHaveLength(400);
    expect(fs.existsSync(path.join(out, `${result.name}.atlas.json`))).toBe(true);

    await expect(embedCommand.run(['--method', 'pca', runDir])).rejects.toThrow(/--method must be one of tsne, umap/);
    await expect(embedCommand.run([])).rejects.toThrow(/exactly one of RUN_DIR, --pixels DATASET or --features-file FILE/);
    await expect(embedCommand.run(['--pixels', CIFAR10_DIR])).rejects.toThrow(/--pixels needs --out DIR/);
  });
});

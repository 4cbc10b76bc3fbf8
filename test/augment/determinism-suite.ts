/**
 * Same pipeline + seed + indices -> the same bytes, in the designer's preview
 * and in the trainer's batches, and after a resume from a saved stream state.
 * Run once per backend (tensorflow.test.ts, wasm.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, augmentPair, pipelinePreset, previewAugmentations, Rng } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import type { ImageSet } from '../../src/engine/data/types.js';
import { parsePipeline, type Pipeline } from '../../src/shared/pipeline.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBytes = (a: Float32Array, b: Float32Array) => a.length === b.length && bytesOf(a).equals(bytesOf(b));

export function determinismSuite(backend: 'tensorflow' | 'wasm' | 'cpu'): void {
  let set: ImageSet;
  const indices = [3, 1, 4, 1592, 6535, 8979, 3238, 4626];

  beforeAll(async () => {
    await initBackend(backend);
    set = readCifar10(CIFAR10_DIR).splits.train;
  });

  /** The trainer's side: `pairs` consecutive augmentPair calls on a fresh stream, as Float32Arrays. */
  function trainerBatches(pipeline: Pipeline, seed: number, pairs: number) {
    const rng = Rng.fromSeed(seed);
    const out: [Float32Array, Float32Array][] = [];
    for (let k = 0; k < pairs; k++) {
      const { view1, view2 } = augmentPair(set, indices, pipeline, rng);
      out.push([view1.dataSync() as Float32Array, view2.dataSync() as Float32Array]);
      tf.dispose([view1, view2]);
    }
    return { out, state: rng.state() };
  }

  describe(`determinism on ${backend}`, () => {
    for (const name of ['SimCLR CIFAR', 'All ops'] as const) {
      it(`"${name}": preview pair k is byte-identical to the trainer's k-th batch for the same seed and indices`, async () => {
        const pipeline = pipelinePreset(name);
        const seed = 20240611;
        const trainer = trainerBatches(pipeline, seed, 3);
        const before = tf.memory().numTensors;
        const preview = await previewAugmentations(set, indices, pipeline, { pairs: 3, seed, format: 'rgba', includeValues: true });
        expect(tf.memory().numTensors).toBe(before);
        expect(preview.rngState).toEqual(trainer.state);
        const per = 32 * 32 * 3;
        for (let k = 0; k < 3; k++) {
          for (let v = 0; v < 2; v++) {
            const batch = trainer.out[k]![v]!;
            preview.samples.forEach((s, i) => expect(sameBytes(s.pairs[k]![v]!.values!, batch.subarray(i * per, (i + 1) * per))).toBe(true));
          }
        }
        // the two views differ, and so do consecutive batches
        expect(sameBytes(trainer.out[0]![0]!, trainer.out[0]![1]!)).toBe(false);
        expect(sameBytes(trainer.out[0]![0]!, trainer.out[1]![0]!)).toBe(false);
      });
    }

    it('a resumed stream (state() -> fromState) continues with identical batches', () => {
      const pipeline = pipelinePreset('SimCLR CIFAR');
      const rng = Rng.fromSeed(99);
      tf.dispose(Object.values(augmentPair(set, indices, pipeline, rng)));
      const saved = JSON.parse(JSON.stringify(rng.state())); // as a checkpoint stores it
      const cont = augmentPair(set, indices, pipeline, rng);
      const resumed = augmentPair(set, indices, pipeline, Rng.fromState(saved));
      expect(sameBytes(cont.view1.dataSync() as Float32Array, resumed.view1.dataSync() as Float32Array)).toBe(true);
      expect(sameBytes(cont.view2.dataSync() as Float32Array, resumed.view2.dataSync() as Float32Array)).toBe(true);
      tf.dispose([cont.view1, cont.view2, resumed.view1, resumed.view2]);
    });

    it('another seed gives other views; a disabled op draws nothing, so the views stay the same', () => {
      const base = pipelinePreset('SimCLR CIFAR');
      const a = augmentBatch(set, indices, base, Rng.fromSeed(1));
      const b = augmentBatch(set, indices, base, Rng.fromSeed(2));
      const withOff = parsePipeline({ ...base, ops: [...base.ops.slice(0, 2), { op: 'gaussianBlur', enabled: false }, ...base.ops.slice(2)] });
      const c = augmentBatch(set, indices, withOff, Rng.fromSeed(1));
      expect(sameBytes(a.dataSync() as Float32Array, b.dataSync() as Float32Array)).toBe(false);
      expect(sameBytes(a.dataSync() as Float32Array, c.dataSync() as Float32Array)).toBe(true);
      tf.dispose([a, b, c]);
    });

    it('augmenting many batches leaks no tensors', () => {
      const pipeline = pipelinePreset('All ops');
      const rng = Rng.fromSeed(5);
      const warm = augmentPair(set, indices, pipeline, rng);
      tf.dispose([warm.view1, warm.view2]);
      const before = tf.memory().numTensors;
      for (let k = 0; k < 5; k++) {
        const { view1, view2 } = augmentPair(set, indices, pipeline, rng);
        expect(view1.shape).toEqual([indices.length, 32, 32, 3]);
        expect(view1.dtype).toBe('float32');
        tf.dispose([view1, view2]);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it('preview thumbnails are the un-normalised views as bytes (RGBA, and the same pixels as PNG), with per-op records', async () => {
      const pipeline = pipelinePreset('SimCLR CIFAR');
      const raw = await previewAugmentations(set, indices.slice(0, 3), pipeline, { pairs: 2, seed: 8, format: 'rgba', includeValues: true });
      const png = await previewAugmentations(set, indices.slice(0, 3), pipeline, { pairs: 2, seed: 8 });
      const { mean, std } = pipeline.normalize;
      for (const [si, s] of raw.samples.entries()) {
        expect(s.index).toBe(indices[si]);
        expect(s.label).toBe(set.labels[indices[si]!]);
        // the original thumbnail is the image itself
        expect(Buffer.from(s.original.data).equals(Buffer.from(rgbaOf(set, s.index)))).toBe(true);
        for (const [k, pair] of s.pairs.entries()) {
          for (const [v, view] of pair.entries()) {
            const { data } = view.image;
            expect(data.length).toBe(32 * 32 * 4);
            for (let p = 0; p < 32 * 32; p++) {
              expect(data[p * 4 + 3]).toBe(255);
              for (let ch = 0; ch < 3; ch++) {
                const value = view.values![p * 3 + ch]! * std[ch]! + mean[ch]!;
                expect(Math.abs(data[p * 4 + ch]! - value * 255)).toBeLessThanOrEqual(0.5 + 1e-3);
              }
            }
            expect(view.ops.map((o) => o.op)).toEqual(['randomResizedCrop', 'horizontalFlip', 'colorJitter', 'grayscale']);
            const decoded = await sharp(Buffer.from(png.samples[si]!.pairs[k]![v]!.image.data)).ensureAlpha().raw().toBuffer();
            expect(decoded.equals(Buffer.from(data))).toBe(true);
          }
        }
      }
    });
  });
}

function rgbaOf(set: ImageSet, index: number): Uint8Array {
  const out = new Uint8Array(32 * 32 * 4);
  for (let p = 0; p < 32 * 32; p++) {
    for (let ch = 0; ch < 3; ch++) out[p * 4 + ch] = set.images[index * 3072 + p * 3 + ch]!;
    out[p * 4 + 3] = 255;
  }
  return out;
}

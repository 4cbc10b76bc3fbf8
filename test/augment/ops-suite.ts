/**
 * Every op checked against the per-pixel references of reference.ts on real
 * CIFAR-10 images, through the same entry point the trainer uses (drawViews),
 * with the parameters each op recorded. Run once per backend (one backend per
 * test process): ops.test.ts (tensorflow) and ops-wasm.test.ts (wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, drawViews, evalBatch, Rng, type OpRecord } from '../../src/engine/augment/index.js';
import { affineSample, rotatePath, rotationTransform } from '../../src/engine/augment/ops/rotate.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import type { ImageSet } from '../../src/engine/data/types.js';
import { parsePipeline, type PipelineInput } from '../../src/shared/pipeline.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import * as ref from './reference.js';

const INDICES = [0, 1, 2, 3, 4, 5, 6, 7, 29, 100, 1000, 2024, 4096, 5000, 7777, 9999];

export function opsSuite(backend: 'tensorflow' | 'wasm' | 'cpu'): void {
  let set: ImageSet;
  let src: ref.Img[];

  beforeAll(async () => {
    await initBackend(backend);
    set = readCifar10(CIFAR10_DIR).splits.train;
    src = INDICES.map((i) => ref.fromSet(set, i));
  });

  /** One view of INDICES through a pipeline; the views' values and each sample's op records. */
  function run(input: Omit<PipelineInput, 'version'>, seed = 7, indices = INDICES, from: ImageSet = set) {
    const pipeline = parsePipeline({ version: 1, ...input });
    const before = tf.memory().numTensors;
    const { views, records } = drawViews(from, indices, pipeline, Rng.fromSeed(seed), 1);
    const [n, h, w] = views[0]!.shape;
    const out = ref.fromBatch(views[0]!.dataSync() as Float32Array, n, h, w);
    views[0]!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    return { out, records: records[0]!.map((ops) => ops[0]!), all: records[0]! };
  }

  const drawn = <T>(r: OpRecord) => r.drawn as T;
  type BoxDraw = { box: { x: number; y: number; w: number; h: number } };

  describe(`ops on ${backend} vs per-pixel references (real CIFAR-10)`, () => {
    it('randomResizedCrop equals a reference bilinear crop of the recorded box, at 32, 24 and 48 px', () => {
      for (const outputSize of [32, 24, 48]) {
        const { out, records } = run({ outputSize, ops: [{ op: 'randomResizedCrop' }] });
        records.forEach((r, i) => {
          const { box } = drawn<BoxDraw>(r);
          expect(box.x + box.w).toBeLessThanOrEqual(32);
          expect(box.y + box.h).toBeLessThanOrEqual(32);
          expect(ref.maxDiff(out[i]!, ref.cropResize(src[i]!, box, outputSize))).toBeLessThan(5e-6);
        });
      }
    });

    it('centerCrop takes the central 24 px of 32 and resizes it', () => {
      const { out, records } = run({ outputSize: 32, ops: [{ op: 'centerCrop', params: { fraction: 0.75 } }] });
      records.forEach((r, i) => {
        expect(drawn<BoxDraw>(r).box).toEqual({ x: 4, y: 4, w: 24, h: 24 });
        expect(ref.maxDiff(out[i]!, ref.cropResize(src[i]!, { x: 4, y: 4, w: 24, h: 24 }, 32))).toBeLessThan(2e-6);
      });
    });

    it('a crop that does not fire resizes the whole image; without crops a box of the output size copies exactly', () => {
      const { out, records } = run({ outputSize: 32, ops: [{ op: 'randomResizedCrop', p: 0 }] });
      records.forEach((r, i) => {
        expect(r.applied).toBe(false);
        expect(ref.maxDiff(out[i]!, src[i]!)).toBe(0);
      });
      const up = run({ outputSize: 40, ops: [] });
      up.out.forEach((o, i) => expect(ref.maxDiff(o, ref.cropResize(src[i]!, { x: 0, y: 0, w: 32, h: 32 }, 40))).toBeLessThan(2e-6));
    });

    it('horizontalFlip mirrors exactly where it fires and leaves the rest bit-identical', () => {
      const { out, records } = run({ ops: [{ op: 'horizontalFlip', p: 0.5 }] }, 3);
      expect(records.some((r) => r.applied)).toBe(true);
      expect(records.some((r) => !r.applied)).toBe(true);
      records.forEach((r, i) => expect(ref.maxDiff(out[i]!, r.applied ? ref.flip(src[i]!) : src[i]!)).toBe(0));
    });

    it('grayscale uses the ITU-R 601 luma weights in all three channels', () => {
      const { out } = run({ ops: [{ op: 'grayscale', p: 1 }] });
      out.forEach((o, i) => expect(ref.maxDiff(o, ref.grayscale(src[i]!))).toBeLessThan(1e-6));
    });

    it('saturation alone matches an RGB -> HSV -> RGB round trip with S scaled and clipped', () => {
      const { out, records } = run({ ops: [{ op: 'colorJitter', p: 1, params: { strength: 1, brightness: 0, contrast: 0, hue: 0, saturation: 0.9 } }] });
      records.forEach((r, i) => {
        const d = drawn<{ order: string[]; saturation: number }>(r);
        expect(d.order).toEqual(['saturation']);
        expect(ref.maxDiff(out[i]!, ref.saturation(src[i]!, d.saturation))).toBeLessThan(2e-6);
      });
    });

    it('hue alone matches an RGB -> HSV -> RGB round trip with H shifted', () => {
      const { out, records } = run({ ops: [{ op: 'colorJitter', p: 1, params: { strength: 1, brightness: 0, contrast: 0, saturation: 0, hue: 0.5 } }] });
      records.forEach((r, i) => {
        const d = drawn<{ order: string[]; hue: number }>(r);
        expect(d.order).toEqual(['hue']);
        expect(ref.maxDiff(out[i]!, ref.hue(src[i]!, d.hue))).toBeLessThan(5e-6);
      });
    });

    it('colorJitter (s = 1) applies brightness, contrast, saturation and hue in each sample\'s recorded order, clipping after each', () => {
      const { out, records } = run({ ops: [{ op: 'colorJitter', p: 1, params: { strength: 1 } }] }, 11);
      const orders = new Set(records.map((r) => drawn<{ order: string[] }>(r).order.join(',')));
      expect(orders.size).toBeGreaterThan(4); // the order really varies per sample
      records.forEach((r, i) => {
        const d = drawn<{ order: ('brightness' | 'contrast' | 'saturation' | 'hue')[]; brightness: number; contrast: number; saturation: number; hue: number }>(r);
        expect([...d.order].sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']);
        let im = src[i]!;
        for (const step of d.order) im = ref[step](im, d[step]);
        expect(ref.maxDiff(out[i]!, im)).toBeLessThan(2e-5);
      });
    });

    it('gaussianBlur equals a direct 2-D convolution with the recorded sigma (reflect and zero borders)', () => {
      for (const padding of ['reflect', 'zero'] as const) {
        const { out, records } = run({ ops: [{ op: 'gaussianBlur', p: 1, params: { sigma: [0.5, 3], kernelFraction: 0.3, padding } }] });
        records.forEach((r, i) => {
          const d = drawn<{ sigma: number; kernel: number }>(r);
          expect(d.kernel).toBe(9); // 2 * floor(floor(32 * 0.3) / 2) + 1
          expect(ref.maxDiff(out[i]!, ref.gaussianBlur(src[i]!, d.sigma, 4, padding))).toBeLessThan(2e-6);
        });
      }
      // the SimCLR default: kernel 10% of the side -> 3 px at 32
      const { out, records } = run({ ops: [{ op: 'gaussianBlur', p: 1 }] });
      records.forEach((r, i) => expect(ref.maxDiff(out[i]!, ref.gaussianBlur(src[i]!, drawn<{ sigma: number }>(r).sigma, 1, 'reflect'))).toBeLessThan(2e-6));
    });

    it('rotate90 turns counter-clockwise by the recorded quarter turns, exactly', () => {
      const { out, records } = run({ ops: [{ op: 'rotate90', p: 1 }] }, 5);
      expect(new Set(records.map((r) => drawn<{ quarterTurns: number }>(r).quarterTurns)).size).toBe(4);
      records.forEach((r, i) => {
        let im = src[i]!;
        for (let k = 0; k < drawn<{ quarterTurns: number }>(r).quarterTurns; k++) im = ref.rot90ccw(im);
        expect(ref.maxDiff(out[i]!, im)).toBe(0);
      });
    });

    it('rotate matches a reference bilinear rotation about the centre with constant fill', () => {
      const { out, records } = run({ ops: [{ op: 'rotate', p: 1, params: { degrees: [-60, 60], fill: 0.3 } }] });
      records.forEach((r, i) => expect(ref.maxDiff(out[i]!, ref.rotate(src[i]!, drawn<{ degrees: number }>(r).degrees, 0.3))).toBeLessThan(5e-5));
      // 90 degrees is the quarter turn (anchors the direction convention)
      const q = run({ ops: [{ op: 'rotate', p: 1, params: { degrees: [90, 90] } }] });
      q.out.forEach((o, i) => expect(ref.maxDiff(o, ref.rot90ccw(src[i]!))).toBeLessThan(5e-5));
    });

    it('the gather-based rotation sampler (used where the backend lacks Transform) matches the reference too', () => {
      // which path `rotate` took above
      expect(rotatePath()).toBe({ tensorflow: 'native', wasm: 'transform', cpu: 'sampler' }[backend]);
      const angles = [-170, -33.3, 0, 12.5, 45, 90];
      const x = tf.tensor4d(Float32Array.from(src.slice(0, angles.length).flatMap((im) => [...im.data])), [angles.length, 32, 32, 3]);
      const y = affineSample(x, angles.map((a) => rotationTransform(a, 32, 32)), 0.7);
      const out = ref.fromBatch(y.dataSync() as Float32Array, angles.length, 32, 32);
      tf.dispose([x, y]);
      angles.forEach((a, i) => expect(ref.maxDiff(out[i]!, ref.rotate(src[i]!, a, 0.7))).toBeLessThan(5e-5));
    });

    it('cutout sets exactly the recorded square (clipped at the border) to the fill value', () => {
      const { out, records } = run({ ops: [{ op: 'cutout', p: 1, params: { size: [0.2, 0.6], fill: 0.5 } }] });
      records.forEach((r, i) => {
        const d = drawn<{ box: { x: number; y: number; w: number; h: number }; side: number }>(r);
        expect(d.box.w).toBeLessThanOrEqual(d.side);
        expect(d.side).toBeGreaterThanOrEqual(Math.round(0.2 * 32));
        expect(d.side).toBeLessThanOrEqual(Math.round(0.6 * 32));
        expect(ref.maxDiff(out[i]!, ref.cutout(src[i]!, d.box, 0.5))).toBe(0);
      });
    });

    it('gaussianNoise adds the recorded field with the recorded std and clips', () => {
      const { out, records } = run({ ops: [{ op: 'gaussianNoise', p: 1, params: { std: [0.05, 0.15] } }] });
      records.forEach((r, i) => {
        const d = drawn<{ std: number; seed: number }>(r);
        const noise = Rng.fromSeed(d.seed).fillNormal(new Float32Array(32 * 32 * 3), 0, d.std);
        const expected = { ...src[i]!, data: src[i]!.data.map((v, k) => Math.min(1, Math.max(0, v + noise[k]!))) };
        expect(ref.maxDiff(out[i]!, expected)).toBeLessThan(1e-6);
        // and the residual on unclipped pixels really has that spread
        const res: number[] = [];
        out[i]!.data.forEach((v, k) => {
          if (v > 0 && v < 1) res.push(v - src[i]!.data[k]!);
        });
        const sd = Math.sqrt(res.reduce((s, e) => s + e * e, 0) / res.length);
        expect(Math.abs(sd / d.std - 1)).toBeLessThan(0.1);
      });
    });

    it('sobel gives the clipped edge magnitude of the luma', () => {
      const { out } = run({ ops: [{ op: 'sobel', p: 1 }] });
      out.forEach((o, i) => expect(ref.maxDiff(o, ref.sobel(src[i]!))).toBeLessThan(2e-6));
    });

    it('solarize inverts values at or above the threshold', () => {
      const { out } = run({ ops: [{ op: 'solarize', p: 1, params: { threshold: 0.4 } }] });
      out.forEach((o, i) => expect(ref.maxDiff(o, ref.solarize(src[i]!, 0.4))).toBeLessThan(1e-7));
    });

    it('a whole pipeline chains the ops in order and normalises per channel', () => {
      const normalize = { mean: [0.4914, 0.4822, 0.4465] as [number, number, number], std: [0.247, 0.2435, 0.2616] as [number, number, number] };
      const pipeline = parsePipeline({
        version: 1,
        outputSize: 28,
        normalize,
        ops: [
          { op: 'randomResizedCrop' },
          { op: 'horizontalFlip', p: 0.5 },
          { op: 'colorJitter', p: 0.8, params: { strength: 0.5 } },
          { op: 'grayscale', p: 0.3 },
          { op: 'solarize', p: 0.3 },
        ],
      });
      const v = augmentBatch(set, INDICES, pipeline, Rng.fromSeed(21));
      const out = ref.fromBatch(v.dataSync() as Float32Array, INDICES.length, 28, 28);
      v.dispose();
      // replay the same stream to get each sample's records
      const rec = drawViews(set, INDICES, pipeline, Rng.fromSeed(21), 1);
      tf.dispose(rec.views);
      rec.records[0]!.forEach((ops, i) => {
        expect(ops.map((r) => r.op)).toEqual(['randomResizedCrop', 'horizontalFlip', 'colorJitter', 'grayscale', 'solarize']);
        let im = src[i]!;
        for (const r of ops) {
          if (r.op === 'randomResizedCrop') im = ref.cropResize(im, drawn<BoxDraw>(r).box, 28);
          else if (!r.applied) continue;
          else if (r.op === 'horizontalFlip') im = ref.flip(im);
          else if (r.op === 'grayscale') im = ref.grayscale(im);
          else if (r.op === 'solarize') im = ref.solarize(im, 0.5);
          else if (r.op === 'colorJitter') {
            const d = drawn<{ order: ('brightness' | 'contrast' | 'saturation' | 'hue')[] } & Record<string, number>>(r);
            for (const step of d.order) im = ref[step](im, d[step]!);
          }
        }
        expect(ref.maxDiff(out[i]!, ref.normalize(im, normalize.mean, normalize.std))).toBeLessThan(1e-4);
      });
    });

    it('evalBatch resizes the central crop and normalises, without randomness', () => {
      const pipeline = parsePipeline({ version: 1, outputSize: 32, normalize: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }, ops: [{ op: 'randomResizedCrop' }] });
      const full = evalBatch(set, INDICES, pipeline);
      const crop = evalBatch(set, INDICES, pipeline, { centerCrop: 0.75 });
      const a = ref.fromBatch(full.dataSync() as Float32Array, INDICES.length, 32, 32);
      const b = ref.fromBatch(crop.dataSync() as Float32Array, INDICES.length, 32, 32);
      tf.dispose([full, crop]);
      INDICES.forEach((_, i) => {
        expect(ref.maxDiff(a[i]!, ref.normalize(src[i]!, [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]))).toBeLessThan(1e-6);
        expect(ref.maxDiff(b[i]!, ref.normalize(ref.cropResize(src[i]!, { x: 4, y: 4, w: 24, h: 24 }, 32), [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]))).toBeLessThan(1e-5);
      });
    });

    it('grey (1-channel) sources become three equal channels', () => {
      // the red plane of real CIFAR images as a 1-channel set
      const n = 4;
      const grey = new Uint8Array(n * 1024);
      for (let i = 0; i < n; i++) for (let p = 0; p < 1024; p++) grey[i * 1024 + p] = set.images[i * 3072 + p * 3]!;
      const g: ImageSet = { images: grey, labels: new Int32Array(n), count: n, height: 32, width: 32, channels: 1 };
      const { out } = run({ ops: [{ op: 'colorJitter', p: 1, params: { strength: 1 } }, { op: 'rotate90', p: 1 }] }, 2, [0, 1, 2, 3], g);
      for (const o of out) for (let p = 0; p < 1024; p++) expect(o.data[p * 3]).toBe(o.data[p * 3 + 2]);
    });
  });
}

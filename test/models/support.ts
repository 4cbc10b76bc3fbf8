import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../src/engine/models/index.js';
import { ntXent } from '../../src/engine/loss/index.js';

/**
 * Deterministic pseudo-images in [0, 1), the same on every backend. Each image
 * has its own colour and a smooth gradient under the noise: iid-noise images
 * all pool to nearly the same features, and batch norm over such a batch
 * amplifies float32 round-off (gradients would then differ between two correct
 * implementations by far more than the round-off itself).
 */
export function images(n: number, size: number, seed: number, channels = 3): tf.Tensor4D {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const data = new Float32Array(n * size * size * channels);
  let i = 0;
  for (let b = 0; b < n; b++) {
    const colour = Array.from({ length: channels }, () => rnd());
    const gx = rnd() - 0.5;
    const gy = rnd() - 0.5;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < channels; c++) {
          const v = 0.5 * colour[c]! + 0.3 * (0.5 + (gx * x + gy * y) / size) + 0.2 * rnd();
          data[i++] = Math.min(Math.max(v, 0), 0.999);
        }
      }
    }
  }
  return tf.tensor4d(data, [n, size, size, channels]);
}

/** One SimCLR forward/backward over 2N views; returns loss, grads by param name, and the kept h/z. */
export function simclrGrads(model: Model, views: tf.Tensor4D, temperature = 0.5) {
  const vars = model.trainableParams();
  const { value, grads } = tf.variableGrads(() => {
    const r = ntXent(model.forward(views, true).z, temperature);
    r.accuracy.dispose();
    return r.loss;
  }, vars.map((p) => p.variable));
  const byName: Record<string, tf.Tensor> = {};
  for (const p of vars) byName[p.name] = grads[p.variable.name]!;
  return { loss: value, grads: byName };
}

/** max |a - b| / max(max |b|, floor) over one tensor's values */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let err = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

export async function readAll(ts: Record<string, tf.Tensor>): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(ts)) out[k] = (await t.data()) as Float32Array;
  return out;
}

/** Values of every model variable by name (the clones are disposed). */
export async function readWeights(model: Model): Promise<Record<string, Float32Array>> {
  const w = model.getWeights();
  const out = await readAll(w);
  tf.dispose(Object.values(w));
  return out;
}

/**
 * Scale the last batch norm of every residual branch to `gamma` (0.2).
 * Why: a BN'd ResNet at initialisation has badly conditioned gradients; float32
 * round-off in early layers is amplified ~1e3-1e4x on the way back (measured:
 * fused vs composed differ by ~2e-3 in the stem, although each BN op on its own
 * matches float64 to ~1e-6, and 1e-7 input noise moves the gradients by up to
 * 1e-2 in ResNet-50). With shorter residual branches the same comparison
 * agrees to ~1e-4, so a mismatch then means a real difference.
 */
export function shrinkResidualBranches(model: Model, gamma = 0.2): void {
  const last = model.config.arch === 'resnet50' ? 'bn3' : 'bn2';
  const w = Object.fromEntries(
    model.params.filter((p) => p.name.startsWith('encoder/layer') && p.name.endsWith(`/${last}/gamma`)).map((p) => [p.name, tf.fill(p.variable.shape, gamma)]),
  );
  model.setWeights(w, { allowMissing: true });
  tf.dispose(Object.values(w));
}

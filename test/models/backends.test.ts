import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { createModel } from '../../src/engine/models/index.js';
import { MODEL_PRESETS } from '../../src/shared/model-config.js';
import { images, readAll, readWeights, relErr, shrinkResidualBranches, simclrGrads } from './support.js';

// The tiny preset, one SimCLR forward/backward over 16 views, on each backend from the
// same seed (initialisation is backend-independent). tensorflow uses the fused native
// batch norm, wasm the composed one, so this also crosses the two implementations.
async function run(backend: 'tensorflow' | 'wasm') {
  await initBackend(backend);
  const model = createModel({ ...MODEL_PRESETS.tiny, projection: { outDim: 32 } }, 11);
  shrinkResidualBranches(model);
  const x = images(16, 16, 7);
  const { loss, grads } = simclrGrads(model, x, 0.2);
  const evalZ = model.forward(x, false);
  const out = {
    kernels: model.kernels(),
    loss: (await loss.data())[0]!,
    grads: await readAll(grads),
    weights: await readWeights(model),
    evalZ: (await evalZ.z.data()) as Float32Array,
  };
  tf.dispose([x, loss, evalZ.h, evalZ.z, ...Object.values(grads)]);
  model.dispose();
  return out;
}

describe('tensorflow vs wasm: the tiny model', () => {
  it('agree on loss, every gradient, the updated running stats and eval-mode projections', async () => {
    const a = await run('tensorflow');
    const b = await run('wasm');
    expect(a.kernels).toBe('fused');
    expect(b.kernels).toBe('composed');
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.abs(a.loss));
    expect(Object.keys(b.grads).length).toBe(Object.keys(a.grads).length);
    for (const k of Object.keys(a.grads)) expect(relErr(b.grads[k]!, a.grads[k]!), k).toBeLessThan(1e-3);
    for (const k of Object.keys(a.weights)) expect(relErr(b.weights[k]!, a.weights[k]!), k).toBeLessThan(1e-4);
    expect(relErr(b.evalZ, a.evalZ)).toBeLessThan(1e-4);
  });
});

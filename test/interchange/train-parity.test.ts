/**
 * The exported recipe trains like the app: from the same initial weights, the
 * Lightning project (1 process) and the engine's trainer see the same batches
 * and augmentations (the shared xoshiro stream) and take the same LARS steps,
 * so their per-step losses agree.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { exportRecipe } from '../../src/engine/interchange/export-recipe.js';
import { parseCsv } from '../../src/engine/interchange/import-lightning.js';
import { encodeSafetensors } from '../../src/engine/interchange/safetensors.js';
import { batchNormPrefixes, torchMapping, torchShape, toTorchLayout } from '../../src/engine/interchange/torch-names.js';
import { createModel } from '../../src/engine/models/index.js';
import { trainSimclr } from '../../src/engine/train/index.js';
import { modelConfigOf } from '../../src/engine/train/model-config.js';
import { pipelinePreset } from '../../src/shared/pipeline.js';
import { parseTrainConfig } from '../../src/shared/train-config.js';
import { findPeer } from '../support/peer-python.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

const peer = findPeer(['torch', 'safetensors', 'lightning', 'yaml']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interchange-train-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!peer.python)(`Lightning recipe vs the engine's trainer${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
  it('same initial weights -> the same loss at every step of an epoch (LARS, no warmup)', async () => {
    await initBackend();
    const raw = { dataset: CIFAR10_DIR, trainLimit: 128, epochs: 1, batchSize: 32, knn: { every: 0 }, outDir: path.join(tmp, 'runs'), dataRoot: path.join(tmp, 'root'), runName: 'engine', seed: 4, optimizer: { warmupEpochs: 0 } };
    const cfgFile = path.join(tmp, 'cfg.json');
    fs.writeFileSync(cfgFile, JSON.stringify(raw));
    const project = path.join(tmp, 'project');
    await exportRecipe({ configFile: cfgFile }, project, { dataRoot: raw.dataRoot });

    // the engine's initial weights (config + seed), in the export format
    const cfg = parseTrainConfig(raw);
    const model = createModel(modelConfigOf(cfg, pipelinePreset('SimCLR CIFAR').outputSize), cfg.seed);
    const w = model.getWeights();
    const mapping = torchMapping(model.plan, { projection: true });
    const tensors: Record<string, { dtype: 'F32' | 'I64'; shape: number[]; data: ArrayLike<number> }> = {};
    for (const m of mapping) tensors[m.torch] = { dtype: 'F32', shape: torchShape(m.layout, m.shape), data: toTorchLayout(m.layout, m.shape, w[m.ours]!.dataSync()) };
    for (const p of batchNormPrefixes(mapping)) tensors[`${p}.num_batches_tracked`] = { dtype: 'I64', shape: [], data: [0] };
    tf.dispose(Object.values(w));
    model.dispose();
    const init = path.join(tmp, 'init.safetensors');
    fs.writeFileSync(init, encodeSafetensors(tensors));

    const engine = await trainSimclr({ config: raw });
    const engineLoss = fs
      .readFileSync(path.join(engine.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; loss: number })
      .filter((r) => r.type === 'step')
      .map((r) => r.loss);
    execFileSync(peer.python!, ['train.py', '--out', 'out', '--accelerator', 'cpu', '--init', init], { cwd: project, encoding: 'utf8', timeout: 180_000, env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const torchLoss = parseCsv(fs.readFileSync(path.join(project, 'out/csv/version_0/metrics.csv'), 'utf8'))
      .filter((r) => r.train_loss_step)
      .map((r) => Number(r.train_loss_step));
    console.log(`per-step loss, engine vs Lightning: ${engineLoss.map((v, i) => `${v.toFixed(5)}/${torchLoss[i]?.toFixed(5)}`).join(', ')}`);
    expect(engineLoss.length).toBe(4);
    expect(torchLoss.length).toBe(4);
    engineLoss.forEach((v, i) => expect(Math.abs(v - torchLoss[i]!) / v, `step ${i + 1}`).toBeLessThan(1e-3));
  }, 300_000);
});

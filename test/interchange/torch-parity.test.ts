/**
 * Cross-framework parity: the exported encoder loaded into the exported
 * project's plain-PyTorch ResNet (simclr_recipe/resnet.py, no torchvision)
 * computes the same h in eval mode, and the same NT-Xent loss and parameter
 * gradients for one training-mode step, as the engine.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalBatch } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { exportWeights } from '../../src/engine/interchange/export-weights.js';
import { encodeSafetensors, readSafetensors } from '../../src/engine/interchange/safetensors.js';
import { torchMapping, torchShape, toTorchLayout } from '../../src/engine/interchange/torch-names.js';
import { createModel, type Model } from '../../src/engine/models/index.js';
import { parseModelConfig } from '../../src/shared/model-config.js';
import { ntXent } from '../../src/engine/loss/index.js';
import { loadEncoder } from '../../src/engine/train/encoder.js';
import { trainSimclr } from '../../src/engine/train/index.js';
import { findPeer, TEMPLATE_DIR } from '../support/peer-python.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

const peer = findPeer(['torch', 'safetensors']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interchange-parity-'));
let runDir = '';
const TEMPERATURE = 0.5;

beforeAll(async () => {
  if (!peer.python) return;
  await initBackend();
  const r = await trainSimclr({
    config: { dataset: CIFAR10_DIR, trainLimit: 128, epochs: 1, batchSize: 64, knn: { every: 0 }, outDir: path.join(tmp, 'runs'), dataRoot: path.join(tmp, 'root'), runName: 'parity', optimizer: { warmupEpochs: 0 } },
  });
  runDir = r.runDir;
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PY = `
import json, sys, torch
from safetensors.torch import load_file, save_file
sys.path.insert(0, sys.argv[1])
from simclr_recipe.resnet import SimCLRModel
from simclr_recipe.loss import nt_xent
spec = json.load(open(sys.argv[2]))
inp = load_file(sys.argv[3])
torch.set_num_threads(1)
state = {k: v for k, v in load_file(sys.argv[4]).items()}
enc = {k: v for k, v in state.items() if not k.startswith("projector.")}
out = {}
for dtype, tag in ((torch.float32, ""), (torch.float64, "f64.")):
    m = SimCLRModel(spec["model"])
    m.encoder.load_state_dict(enc, strict=True)
    m.projector.load_state_dict({k[len("projector."):]: v for k, v in state.items() if k.startswith("projector.")}, strict=True)
    m = m.to(dtype)
    x = inp["x"].permute(0, 3, 1, 2).contiguous().to(dtype)
    m.eval()
    with torch.no_grad():
        h = m.encoder(x)
    m.train()
    _, z = m(inp["views"].permute(0, 3, 1, 2).contiguous().to(dtype))
    loss, acc = nt_xent(z, float(sys.argv[6]))
    loss.backward()
    out[tag + "h"] = h.float()
    out[tag + "loss"] = loss.detach().reshape(1).float()
    for name, p in list(m.encoder.named_parameters()) + [("projector." + n, p) for n, p in m.projector.named_parameters()]:
        out[tag + "grad." + name] = p.grad.float().contiguous()
save_file(out, sys.argv[5])
`;

/**
 * Run `model` here and its exported weights in PyTorch on the same batch: h in eval mode,
 * then one train-mode NT-Xent step on [x, mirrored x]; compare.
 */
function checkParity(label: string, model: Model, x: tf.Tensor4D, weightsFile: string, specFile: string, opts: { gradsAsGoodAsTorchFloat32?: boolean } = {}): void {
  const plan = model.plan;
  const h = tf.tidy(() => model.encode(x, false));
  // two "views": the images and their mirror images, rows 0..n-1 and n..2n-1 as ntXent expects
  const views = tf.tidy(() => tf.concat([x, tf.image.flipLeftRight(x)], 0)) as tf.Tensor4D;
  const { value, grads } = tf.variableGrads(() => {
    const r = ntXent(model.forward(views, true).z, TEMPERATURE);
    r.accuracy.dispose();
    return r.loss;
  }, model.trainableVariables());
  const ours = { h: h.dataSync() as Float32Array, loss: value.dataSync()[0]! };
  const byVar = new Map(model.params.map((p) => [p.variable.name, p.name]));
  const gradOf = new Map(Object.entries(grads).map(([v, g]) => [byVar.get(v)!, { shape: g.shape, data: g.dataSync() as Float32Array }]));
  const inFile = path.join(tmp, `in-${label}.safetensors`);
  fs.writeFileSync(inFile, encodeSafetensors({ x: { dtype: 'F32', shape: x.shape, data: x.dataSync() }, views: { dtype: 'F32', shape: views.shape, data: views.dataSync() } }));
  tf.dispose([h, views, value, ...Object.values(grads)]);
  const outFile = path.join(tmp, `out-${label}.safetensors`);
  execFileSync(peer.python!, ['-c', PY, TEMPLATE_DIR, specFile, inFile, weightsFile, outFile, String(TEMPERATURE)], { encoding: 'utf8', timeout: 180_000 });
    const theirs = readSafetensors(outFile).tensors;

    let hDiff = 0;
    theirs.get('h')!.data.forEach((v, i) => (hDiff = Math.max(hDiff, Math.abs(v - ours.h[i]!))));
    // 1e-4 absolute for features of order 1 (a trained encoder's); relative to their size when larger (random init)
    const hScale = Math.max(1, ...Array.from(ours.h, Math.abs));
    expect(hDiff).toBeLessThan(1e-4 * hScale);
    expect(Math.abs(theirs.get('loss')!.data[0]! - ours.loss) / Math.abs(ours.loss)).toBeLessThan(1e-3);

    const mapping = torchMapping(plan, { projection: true }).filter((m) => !m.ours.endsWith('moving_mean') && !m.ours.endsWith('moving_variance'));
    // relative error of each gradient tensor, ||ours - theirs|| / ||theirs||, against PyTorch float32 and,
    // to tell float32 round-off from a real difference, against PyTorch float64. (Elementwise max-abs
    // ratios of early-layer gradients reach ~4e-4 between PyTorch's own float32 and float64 here.)
    const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < b.length; i++) {
        num += (a[i]! - b[i]!) ** 2;
        den += b[i]! ** 2;
      }
      return den > 0 ? Math.sqrt(num / den) : Math.sqrt(num);
    };
    const worstVs = (prefix: string) => {
      let worst = { name: '', rel: 0 };
      for (const m of mapping) {
        const g = gradOf.get(m.ours)!;
        const mine = toTorchLayout(m.layout, g.shape, g.data);
        const t = theirs.get(`${prefix}grad.${m.torch}`);
        expect(t, `PyTorch has a gradient for ${m.torch}`).toBeDefined();
        const rel = relErr(mine, t!.data);
        if (rel > worst.rel) worst = { name: m.torch, rel };
      }
      return worst;
    };
    const worst = worstVs('');
    const worst64 = worstVs('f64.');
    const torchRel = Math.max(...mapping.map((m) => relErr(theirs.get(`grad.${m.torch}`)!.data, theirs.get(`f64.grad.${m.torch}`)!.data)));
    expect(mapping.length).toBeGreaterThan(60);
    console.log(`parity (${label}): h max abs ${hDiff.toExponential(2)} (max |h| ${hScale.toPrecision(3)}), loss ${ours.loss} vs ${theirs.get('loss')!.data[0]}, worst gradient ${worst.name} ${worst.rel.toExponential(2)} relative (vs float64: ${worst64.name} ${worst64.rel.toExponential(2)}; PyTorch float32 vs float64 ${torchRel.toExponential(2)})`);
    if (opts.gradsAsGoodAsTorchFloat32) {
      // an ill-conditioned step (random init): float32 itself is far from float64; ask for no worse than PyTorch's float32
      expect(worst64.rel, `worst gradient against float64: ${worst64.name}`).toBeLessThan(Math.max(1e-3, 2 * torchRel));
    } else {
      expect(worst.rel, `worst gradient: ${worst.name}`).toBeLessThan(1e-3);
      expect(worst64.rel, `worst gradient against float64: ${worst64.name}`).toBeLessThan(1e-3);
    }
}

describe.skipIf(!peer.python)(`PyTorch ResNet from the exported project${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
  it('trained CIFAR-stem ResNet-18: h to 1e-4 (eval mode); NT-Xent loss and every parameter gradient to 1e-3 relative (train mode)', () => {
    const exp = exportWeights(runDir, { out: path.join(tmp, 'enc.safetensors'), projection: true });
    const set = readCifar10(CIFAR10_DIR).splits.test!;
    const enc = loadEncoder(runDir);
    const x = evalBatch(set, Array.from({ length: 16 }, (_, i) => i), enc.pipeline);
    checkParity('cifar', enc.model, x, exp.file, exp.sidecar);
    x.dispose();
    enc.model.dispose();
  }, 240_000);

  it('random-init ImageNet-stem ResNet-50 (7x7/2 conv, 3x3/2 max-pool, bottlenecks): h and loss the same, gradients as close to float64 as PyTorch float32 is', () => {
    const config = parseModelConfig({ arch: 'resnet50', width: 0.25, stem: 'imagenet', projection: { outDim: 32 } });
    const model = createModel(config, 5);
    // weights in torchvision layout, as export-weights writes them (from a model, not a run)
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    const w = model.getWeights();
    for (const m of torchMapping(model.plan, { projection: true })) tensors[m.torch] = { dtype: 'F32', shape: torchShape(m.layout, m.shape), data: toTorchLayout(m.layout, m.shape, w[m.ours]!.dataSync()) };
    tf.dispose(Object.values(w));
    const file = path.join(tmp, 'r50.safetensors');
    fs.writeFileSync(file, encodeSafetensors(tensors));
    const spec = path.join(tmp, 'r50.json');
    fs.writeFileSync(spec, JSON.stringify({ model: config }));
    const x = tf.tidy(() => tf.randomUniform([16, 64, 64, 3], -2, 2, 'float32', 9)) as tf.Tensor4D;
    checkParity('imagenet', model, x, file, spec, { gradsAsGoodAsTorchFloat32: true });
    x.dispose();
    model.dispose();
  }, 240_000);
});

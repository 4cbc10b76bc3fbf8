import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalBatch } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors } from '../../src/engine/interchange/safetensors.js';
import { exportWeights } from '../../src/engine/interchange/export-weights.js';
import { importWeights } from '../../src/engine/interchange/import-weights.js';
import { torchMapping } from '../../src/engine/interchange/torch-names.js';
import { planModel } from '../../src/engine/models/spec.js';
import { parseModelConfig } from '../../src/shared/model-config.js';
import { readCheckpoint, latestCheckpoint } from '../../src/engine/train/checkpoint.js';
import { loadEncoder } from '../../src/engine/train/encoder.js';
import { trainSimclr } from '../../src/engine/train/index.js';
import { findPeer } from '../support/peer-python.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interchange-weights-'));
const dataRoot = path.join(tmp, 'root');
const runsRoot = path.join(dataRoot, 'runs');
let runDir = '';
const peer = findPeer(['torch', 'safetensors']);

beforeAll(async () => {
  await initBackend();
  const r = await trainSimclr({
    config: { dataset: CIFAR10_DIR, trainLimit: 128, epochs: 1, batchSize: 64, knn: { every: 0 }, outDir: runsRoot, dataRoot, runName: 'tiny', optimizer: { warmupEpochs: 0 } },
  });
  runDir = r.runDir;
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const runIds = () => fs.readdirSync(runsRoot).sort();

/** h of the first test images through a run's encoder (eval mode). */
function features(dir: string): Float32Array {
  const enc = loadEncoder(dir);
  const set = readCifar10(CIFAR10_DIR).splits.test!;
  const h = tf.tidy(() => enc.model.encode(evalBatch(set, [0, 1, 2, 3, 4, 5, 6, 7], enc.pipeline), false));
  const out = h.dataSync() as Float32Array;
  h.dispose();
  enc.model.dispose();
  return out;
}

function rewrite(file: string, out: string, change: (name: string, t: { dtype: string; shape: number[]; data: ArrayLike<number> }) => [string, { dtype: 'F32' | 'I64'; shape: number[]; data: ArrayLike<number> }] | null) {
  const st = readSafetensors(file);
  const tensors: Record<string, { dtype: 'F32' | 'I64'; shape: number[]; data: ArrayLike<number> }> = {};
  for (const [name, t] of st.tensors) {
    const r = change(name, t);
    if (r) tensors[r[0]] = r[1];
  }
  fs.writeFileSync(out, encodeSafetensors(tensors));
}
const same = (name: string, t: { dtype: string; shape: number[]; data: ArrayLike<number> }) => [name, { dtype: t.dtype === 'I64' ? 'I64' : 'F32', shape: t.shape, data: t.data }] as [string, { dtype: 'F32' | 'I64'; shape: number[]; data: ArrayLike<number> }];

describe('safetensors format', () => {
  it('round-trips float32 and int64 tensors and metadata, with the header padded to 8 bytes', () => {
    const buf = encodeSafetensors({ a: { dtype: 'F32', shape: [2, 3], data: [1, -2.5, 3, 4, 5, 1e-20] }, n: { dtype: 'I64', shape: [], data: [12345678901] } }, { k: 'v' });
    expect(Number(buf.readBigUInt64LE(0)) % 8).toBe(0);
    const back = decodeSafetensors(buf);
    expect(back.metadata).toEqual({ k: 'v' });
    expect(Array.from(back.tensors.get('a')!.data)).toEqual(Array.from(Float32Array.from([1, -2.5, 3, 4, 5, 1e-20])));
    expect(back.tensors.get('n')!.data[0]).toBe(12345678901);
  });

  it('refuses damaged files with a message naming the problem', () => {
    const buf = encodeSafetensors({ a: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] } });
    expect(() => decodeSafetensors(buf.subarray(0, buf.length - 4), 'cut.safetensors')).toThrow(/cut\.safetensors: .*ends at byte 16 of a 12-byte data section/);
    expect(() => decodeSafetensors(Buffer.from([1, 2, 3]), 'x')).toThrow(/too short/);
    const bad = Buffer.from(buf);
    bad.write('{', 8);
    bad.write('X', 9);
    expect(() => decodeSafetensors(bad, 'x')).toThrow(/header is not JSON/);
  });
});

describe('export-weights and import-weights', () => {
  it('exports torchvision names and OIHW layouts that match the checkpoint, with a sidecar', () => {
    const r = exportWeights(runDir, { out: path.join(tmp, 'enc.safetensors') });
    const st = readSafetensors(r.file);
    const names = [...st.tensors.keys()];
    expect(names).toContain('conv1.weight');
    expect(names).toContain('bn1.num_batches_tracked');
    expect(names).toContain('layer2.0.downsample.0.weight');
    expect(names).toContain('layer4.1.bn2.running_var');
    expect(names.some((n) => n.startsWith('projector.'))).toBe(false);
    const ck = readCheckpoint(latestCheckpoint(path.join(runDir, 'checkpoints'))!);
    const hwio = ck.values.get('model/encoder/layer2.0/conv1/kernel')!; // [3, 3, 16, 32]
    const oihw = st.tensors.get('layer2.0.conv1.weight')!;
    expect(oihw.shape).toEqual([hwio.shape[3], hwio.shape[2], hwio.shape[0], hwio.shape[1]]);
    const [kh, kw, ci, co] = hwio.shape as [number, number, number, number];
    for (const [h, w, i, o] of [[0, 0, 0, 0], [1, 2, 5, 7], [2, 1, ci - 1, co - 1]] as const) {
      expect(oihw.data[((o * ci + i) * kh + h) * kw + w]).toBe(hwio.data[((h * kw + w) * ci + i) * co + o]);
    }
    expect(st.tensors.get('bn1.num_batches_tracked')!.data[0]).toBe(ck.manifest.globalStep);
    const side = JSON.parse(fs.readFileSync(r.sidecar, 'utf8'));
    expect(side).toMatchObject({ format: 'simclr-workbench-weights', runId: path.basename(runDir), model: { arch: 'resnet18', width: 0.25, stem: 'cifar' }, inputSize: 32 });
    expect(side.normalize.mean).toEqual([0.4914, 0.4822, 0.4465]);
    expect(JSON.parse(st.metadata.simclr_workbench!)).toEqual(side);
  });

  it('import of the export is a run whose encoder computes the same h', async () => {
    const r = exportWeights(runDir, { out: path.join(tmp, 'rt.safetensors'), projection: true });
    const imp = await importWeights(r.file, { dataRoot });
    expect(imp.specFrom).toBe('sidecar');
    expect(imp.projection).toBe('file');
    const a = features(runDir);
    const b = features(imp.runDir);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBe(0);
    // the projection head came through too
    const ca = readCheckpoint(latestCheckpoint(path.join(runDir, 'checkpoints'))!).values.get('model/projection/fc1/kernel')!.data;
    const cb = readCheckpoint(latestCheckpoint(path.join(imp.runDir, 'checkpoints'))!).values.get('model/projection/fc1/kernel')!.data;
    expect(Array.from(cb)).toEqual(Array.from(ca));
  });

  it('imports a PyTorch-style state dict: prefixes stripped, model read from the shapes, extras listed', async () => {
    const src = exportWeights(runDir, { out: path.join(tmp, 'plain.safetensors') }).file;
    const foreign = path.join(tmp, 'foreign', 'solo.safetensors'); // no sidecar beside it
    fs.mkdirSync(path.dirname(foreign));
    rewrite(src, foreign, (name, t) => same(`module.backbone.${name}`, t));
    const buf = fs.readFileSync(foreign);
    const st = decodeSafetensors(buf);
    const extra = encodeSafetensors({
      ...Object.fromEntries([...st.tensors].map(([k, t]) => [k, { dtype: t.dtype === 'I64' ? ('I64' as const) : ('F32' as const), shape: t.shape, data: t.data }])),
      'module.backbone.fc.weight': { dtype: 'F32', shape: [10, 128], data: new Float32Array(1280) },
    });
    fs.writeFileSync(foreign, extra);
    const imp = await importWeights(foreign, { dataRoot, dataset: CIFAR10_DIR });
    expect(imp.specFrom).toBe('shapes');
    expect(imp.model).toMatchObject({ arch: 'resnet18', width: 0.25, stem: 'cifar' });
    expect(imp.projection).toBe('initialised');
    expect(imp.ignored).toEqual(['module.backbone.fc.weight']);
    const a = features(runDir);
    const b = features(imp.runDir);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBe(0);
  });

  it('names every mismatching tensor and writes nothing on error', async () => {
    const src = exportWeights(runDir, { out: path.join(tmp, 'src2.safetensors') }).file;
    const bad = path.join(tmp, 'bad', 'bad.safetensors');
    fs.mkdirSync(path.dirname(bad));
    rewrite(src, bad, (name, t) => {
      if (name === 'layer1.0.conv2.weight') return [name, { dtype: 'F32', shape: [16, 16, 5, 5], data: new Float32Array(16 * 16 * 25) }];
      if (name === 'layer3.1.bn1.running_mean') return null;
      return same(name, t);
    });
    fs.copyFileSync(src.replace('.safetensors', '.json'), bad.replace('.safetensors', '.json'));
    const before = runIds();
    const err = await importWeights(bad, { dataRoot }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/layer1\.0\.conv2\.weight has shape \[16, 16, 5, 5\], the model expects \[16, 16, 3, 3\]/);
    expect(err?.message).toMatch(/missing layer3\.1\.bn1\.running_mean \(expected \[64\]\)/);
    expect(runIds()).toEqual(before);

    // weights of a deeper model under a ResNet-18 spec: the extra blocks are errors, not ignored extras
    const deep = path.join(tmp, 'bad', 'deep.safetensors');
    rewrite(src, deep, (name, t) => same(name, t));
    const withExtra = decodeSafetensors(fs.readFileSync(deep));
    const t = withExtra.tensors.get('layer4.1.conv1.weight')!;
    fs.writeFileSync(
      deep,
      encodeSafetensors({
        ...Object.fromEntries([...withExtra.tensors].map(([k, v]) => [k, { dtype: v.dtype === 'I64' ? ('I64' as const) : ('F32' as const), shape: v.shape, data: v.data }])),
        'layer4.2.conv1.weight': { dtype: 'F32', shape: t.shape, data: t.data },
      }),
    );
    fs.writeFileSync(path.join(tmp, 'bad', 'r18.json'), JSON.stringify({ arch: 'resnet18', width: 0.25 }));
    await expect(importWeights(deep, { dataRoot, dataset: CIFAR10_DIR, spec: path.join(tmp, 'bad', 'r18.json') })).rejects.toThrow(/unexpected layer4\.2\.conv1\.weight: the model \(resnet18 x0\.25\) has no layer4\.2\.conv1\.weight/);
    expect(runIds()).toEqual(before);
  });

  it('every parameter of ResNet-50 maps to a unique torchvision name', () => {
    // names only (no allocation): the plan is data
    const mapping = torchMapping(planModel(parseModelConfig({ arch: 'resnet50' })), { projection: true });
    expect(new Set(mapping.map((m) => m.torch)).size).toBe(mapping.length);
    expect(mapping.map((m) => m.torch)).toContain('layer3.5.conv3.weight');
    expect(mapping.map((m) => m.torch)).toContain('layer1.0.downsample.1.running_var');
  });
});

describe.skipIf(!peer.python)(`against Python's safetensors${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
  it('Python reads our export (names, shapes, values) and we read what Python writes', () => {
    const ours = exportWeights(runDir, { out: path.join(tmp, 'py.safetensors'), projection: true }).file;
    const fromPy = path.join(tmp, 'from-python.safetensors');
    const script = `
import json, sys, torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
sd = load_file(sys.argv[1])
with safe_open(sys.argv[1], "pt") as f:
    meta = f.metadata()
save_file({"w": torch.arange(6, dtype=torch.float32).view(2, 3) / 7, "h": torch.tensor([1.5, -2], dtype=torch.float16), "b": torch.tensor([3.25], dtype=torch.bfloat16), "n": torch.tensor(7, dtype=torch.int64)}, sys.argv[2], metadata={"who": "python"})
print(json.dumps({"names": sorted(sd), "conv1": list(sd["conv1.weight"].shape), "sum": float(sd["layer2.0.conv1.weight"].double().sum()), "nbt": int(sd["bn1.num_batches_tracked"]), "dtype": str(sd["bn1.num_batches_tracked"].dtype), "spec": json.loads(meta["simclr_workbench"])["model"]["arch"]}))
`;
    const out = JSON.parse(execFileSync(peer.python!, ['-c', script, ours, fromPy], { encoding: 'utf8', timeout: 120_000 }));
    const st = readSafetensors(ours);
    expect(out.names).toEqual([...st.tensors.keys()].sort());
    expect(out.conv1).toEqual(st.tensors.get('conv1.weight')!.shape);
    const sum = Array.from(st.tensors.get('layer2.0.conv1.weight')!.data).reduce((a, b) => a + b, 0);
    expect(out.sum).toBeCloseTo(sum, 4);
    expect(out.dtype).toBe('torch.int64');
    expect(out.spec).toBe('resnet18');
    const py = readSafetensors(fromPy);
    expect(py.metadata).toEqual({ who: 'python' });
    expect(Array.from(py.tensors.get('w')!.data)).toEqual(Array.from(Float32Array.from([0, 1, 2, 3, 4, 5].map((v) => v / 7))));
    expect(Array.from(py.tensors.get('h')!.data)).toEqual([1.5, -2]);
    expect(Array.from(py.tensors.get('b')!.data)).toEqual([3.25]);
    expect(py.tensors.get('n')!.data[0]).toBe(7);
  });
});

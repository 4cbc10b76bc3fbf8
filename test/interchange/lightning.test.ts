/**
 * The scale-out round trip through the shipped CLI: export-recipe -> the
 * Lightning project trains with 2 processes (torchrun, gloo, CPU) and with 1,
 * on the same global batches -> import-weights / import-lightning -> eval.
 * And the done-when check: a plain PyTorch script's kNN top-1 on the exported
 * encoder equals `eval --protocol knn`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/engine/interchange/import-lightning.js';
import { readSafetensors } from '../../src/engine/interchange/safetensors.js';
import { findPeer, TEMPLATE_DIR } from '../support/peer-python.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { shipped } from '../support/shipped.js';

const peer = findPeer(['torch', 'safetensors', 'lightning', 'yaml']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interchange-lightning-'));
const dataRoot = path.join(tmp, 'root');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], timeout = 300_000): string {
  return execFileSync(process.execPath, [shipped().bin, ...args], { encoding: 'utf8', timeout, env: { ...process.env, SIMCLR_DATA_ROOT: dataRoot }, stdio: ['ignore', 'pipe', 'pipe'] });
}
const json = <T>(args: string[]): T => JSON.parse(cli([...args, '--json'])) as T;

describe.skipIf(!peer.python)(`Lightning export, 2-process training, import${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
  const bin = path.dirname(peer.python ?? '');
  const project = path.join(tmp, 'project');

  it('export-recipe -> torchrun --nproc_per_node 2 (gloo) -> checkpoint + safetensors -> import -> eval linear', () => {
    const cfg = path.join(tmp, 'recipe.json');
    fs.writeFileSync(cfg, JSON.stringify({ dataset: CIFAR10_DIR, trainLimit: 256, epochs: 2, batchSize: 32, knn: { every: 0 }, runName: 'scale-out', seed: 3 }));
    cli(['runs', 'export-recipe', cfg, '--target', 'lightning', '--out', project]);
    for (const f of ['train.py', 'config.yaml', 'requirements.txt', 'README.md', 'simclr_recipe/augment.py', 'simclr_recipe/resnet.py']) expect(fs.existsSync(path.join(project, f)), f).toBe(true);
    expect(fs.readFileSync(path.join(project, 'README.md'), 'utf8')).toMatch(/torchrun --nproc_per_node 8 train.py[\s\S]*srun --nodes 4/);
    expect(() => cli(['runs', 'export-recipe', cfg, '--target', 'lightning', '--out', project])).toThrow(/not empty/);

    const env = { ...process.env, OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1' };
    const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { cwd: project, env, encoding: 'utf8', timeout: 150_000, stdio: ['ignore', 'pipe', 'pipe'] });
    run([path.join(bin, 'torchrun'), '--nproc_per_node', '2', '--master_port', '29517', 'train.py', '--out', 'out2', '--accelerator', 'cpu', '--max-steps', '3']);
    run([peer.python!, 'train.py', '--out', 'out1', '--accelerator', 'cpu', '--max-steps', '3']);
    const out2 = path.join(project, 'out2');
    expect(fs.existsSync(path.join(out2, 'checkpoints', 'final.ckpt'))).toBe(true);
    expect(fs.readdirSync(path.join(out2, 'checkpoints')).some((f) => /^epoch-\d{4}\.ckpt$/.test(f))).toBe(true);

    // 2 processes train on the same global batches as 1: all-gathered negatives and global batch norm
    const losses = (dir: string) => parseCsv(fs.readFileSync(path.join(project, dir, 'csv/version_0/metrics.csv'), 'utf8')).filter((r) => r.train_loss_step).map((r) => Number(r.train_loss_step));
    const l1 = losses('out1');
    const l2 = losses('out2');
    expect(l2.length).toBe(3);
    l2.forEach((v, i) => expect(Math.abs(v - l1[i]!), `step ${i}: ${v} vs ${l1[i]}`).toBeLessThan(1e-4 * Math.abs(l1[i]!)));
    const w1 = readSafetensors(path.join(project, 'out1', 'encoder.safetensors')).tensors.get('layer4.1.conv2.weight')!.data;
    const w2 = readSafetensors(path.join(out2, 'encoder.safetensors')).tensors.get('layer4.1.conv2.weight')!.data;
    let dw = 0;
    w1.forEach((v, i) => (dw = Math.max(dw, Math.abs(v - w2[i]!))));
    expect(dw).toBeLessThan(1e-4);

    const imp = json<{ runId: string; projection: string }>(['runs', 'import-weights', path.join(out2, 'encoder.safetensors')]);
    expect(imp.projection).toBe('file');
    const back = json<{ runId: string; steps: number; epochs: number; runDir: string }>(['runs', 'import-lightning', out2]);
    expect(back.steps).toBe(3);
    const metrics = fs.readFileSync(path.join(back.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss?: number; globalStep: number });
    expect(metrics.filter((m) => m.type === 'step').map((m) => m.loss)).toEqual(l2.map((v) => expect.closeTo(v, 6)) as unknown as number[]);
    const cmp = json<{ runs: { id: string }[] }>(['runs', 'compare', imp.runId, back.runId]);
    expect(cmp.runs.map((r) => r.id)).toEqual([imp.runId, back.runId]);

    cli(['eval', back.runDir, '--protocol', 'linear', '--train-limit', '300', '--test-limit', '100', '--max-iter', '50']);
    const evalJson = JSON.parse(fs.readFileSync(path.join(back.runDir, 'eval.json'), 'utf8'));
    expect(JSON.stringify(evalJson)).toMatch(/"protocol":"linear"/);
  }, 300_000);
});

describe.skipIf(!peer.python)(`done when: plain PyTorch kNN on the exported encoder = eval --protocol knn${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
  it('train tiny 2 epochs -> export-weights -> PyTorch kNN top-1 within 0.2 points', () => {
    cli(['train', '--dataset', CIFAR10_DIR, '--preset', 'tiny', '--epochs', '2', '--batch', '64', '--train-limit', '256', '--knn-every', '0', '--name', 'knn-parity', '--warmup', '0']);
    const runId = json<{ runs: { id: string; name: string }[] }>(['runs', 'list']).runs.find((r) => r.name === 'knn-parity')!.id;
    const runDir = path.join(dataRoot, 'runs', runId);
    const file = path.join(tmp, 'knn.safetensors');
    cli(['runs', 'export-weights', runId, '--out', file]);
    cli(['eval', runDir, '--protocol', 'knn', '--train-limit', '1000', '--test-limit', '1000']);
    const ev = JSON.parse(fs.readFileSync(path.join(runDir, 'eval.json'), 'utf8')) as { results: { protocol: string; metrics: { top1: number } }[] };
    const ours = ev.results.find((r) => r.protocol === 'knn')!.metrics.top1;

    const script = `
import json, sys, torch
from safetensors.torch import load_file
sys.path.insert(0, sys.argv[1])
from simclr_recipe.resnet import ResNet
from simclr_recipe.data import read_cifar10, _cifar
import os
spec = json.load(open(sys.argv[3]))
m = spec["model"]
enc = ResNet(m["arch"], m["width"], m["stem"], 3, m["bnMomentum"], m["bnEpsilon"])
enc.load_state_dict(load_file(sys.argv[2]), strict=True)
enc.eval()
xtr, ytr = read_cifar10(sys.argv[4])
xte, yte = _cifar([os.path.join(sys.argv[4], "test_batch.bin")], 1, 0)
xtr, ytr, xte, yte = xtr[:1000], ytr[:1000], xte[:1000], yte[:1000]
mean = torch.tensor(spec["normalize"]["mean"]).view(1, 3, 1, 1)
std = torch.tensor(spec["normalize"]["std"]).view(1, 3, 1, 1)
def feats(x):
    with torch.no_grad():
        return torch.cat([enc((x[i:i + 250].permute(0, 3, 1, 2).float() / 255 - mean) / std) for i in range(0, len(x), 250)])
ftr = torch.nn.functional.normalize(feats(xtr), dim=1)
fte = torch.nn.functional.normalize(feats(xte), dim=1)
sim, idx = (fte @ ftr.T).topk(200, dim=1)
votes = torch.zeros(len(fte), 10).scatter_add_(1, ytr[idx], torch.exp((sim - sim[:, :1]) / 0.1))
print(json.dumps({"top1": float((votes.argmax(1) == yte).float().mean())}))
`;
    const py = JSON.parse(execFileSync(peer.python!, ['-c', script, TEMPLATE_DIR, file, file.replace('.safetensors', '.json'), CIFAR10_DIR], { encoding: 'utf8', timeout: 180_000 })) as { top1: number };
    // the run's own recipe exports too (by id), carrying its id and settings
    const fromRun = path.join(tmp, 'from-run');
    cli(['runs', 'export-recipe', runId, '--target', 'lightning', '--out', fromRun]);
    const yaml = fs.readFileSync(path.join(fromRun, 'config.yaml'), 'utf8');
    expect(yaml).toContain(`id: "${runId}"`);
    expect(yaml).toMatch(/train:\n  epochs: 2\n  batchSize: 64\n/);
    expect(yaml).toMatch(/weightDecay: 1\.0e-6|weightDecay: 0\.000001/);
    console.log(`kNN top-1: eval --protocol knn ${(ours * 100).toFixed(2)}%, PyTorch ${(py.top1 * 100).toFixed(2)}%`);
    expect(ours).toBeGreaterThan(0.15);
    expect(Math.abs(py.top1 - ours)).toBeLessThanOrEqual(0.002);
  }, 300_000);
});

/**
 * Pixel parity of the exported PyTorch augmentations (simclr_recipe/augment.py)
 * with the engine: each op alone, then a whole preset, on the same CIFAR-10
 * images with the parameters the engine drew (its op records), to <= 1/255 max
 * abs; and the Python port of the random stream draws the very same parameters.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawViews, Rng } from '../../src/engine/augment/index.js';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import type { ImageSet } from '../../src/engine/data/types.js';
import { encodeSafetensors, readSafetensors } from '../../src/engine/interchange/safetensors.js';
import { OP_NAMES, parsePipeline, PIPELINE_PRESETS, type Pipeline, type PipelineInput } from '../../src/shared/pipeline.js';
import { findPeer, TEMPLATE_DIR } from '../support/peer-python.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

const peer = findPeer(['torch', 'safetensors']);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'interchange-augment-'));
const INDICES = [0, 1, 2, 3, 4, 5, 6, 7, 29, 100, 1000, 2024, 4096, 5000, 7777, 9999];
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One case per op, with parameters that make it do something visible; p < 1 exercises the pass-through too. */
const OP_CASES: Record<(typeof OP_NAMES)[number], Omit<PipelineInput, 'version'>> = {
  randomResizedCrop: { outputSize: 24, ops: [{ op: 'randomResizedCrop', p: 0.8, params: { scale: [0.08, 1] } }] },
  centerCrop: { outputSize: 20, ops: [{ op: 'centerCrop', p: 0.7, params: { fraction: 0.7 } }] },
  horizontalFlip: { ops: [{ op: 'horizontalFlip', p: 0.5 }] },
  colorJitter: { ops: [{ op: 'colorJitter', p: 0.9, params: { strength: 1 } }] },
  grayscale: { ops: [{ op: 'grayscale', p: 0.6 }] },
  gaussianBlur: { ops: [{ op: 'gaussianBlur', p: 0.7, params: { sigma: [0.5, 3], kernelFraction: 0.3 } }] },
  rotate90: { ops: [{ op: 'rotate90', p: 0.8 }] },
  rotate: { ops: [{ op: 'rotate', p: 0.8, params: { degrees: [-60, 60], fill: 0.3 } }] },
  cutout: { ops: [{ op: 'cutout', p: 0.5, params: { size: [0.2, 0.6], fill: 0.5 } }] },
  gaussianNoise: { ops: [{ op: 'gaussianNoise', p: 0.7, params: { std: [0.05, 0.2] } }] },
  sobel: { ops: [{ op: 'sobel', p: 0.6 }] },
  solarize: { ops: [{ op: 'solarize', p: 0.7, params: { threshold: 0.4 } }] },
};

const PY = `
import json, sys, torch
from safetensors.torch import load_file
sys.path.insert(0, sys.argv[1])
from simclr_recipe.augment import RESIZING, draw_view_plan, run_view_plan, to_float, layout
from simclr_recipe.rng import Rng
cases = json.load(open(sys.argv[2]))
t = load_file(sys.argv[3])
x = to_float(t["images"].round().to(torch.uint8))
out = {}
for c in cases:
    p = c["pipeline"]
    steps, final = layout(p, x.shape[2], x.shape[3])
    # the engine's records: per sample, per enabled op {applied, drawn}
    for j, s in enumerate(steps):
        s["fired"] = [r[j]["applied"] for r in c["records"]]
        s["draws"] = [r[j]["drawn"] for r in c["records"]]
    size = p["outputSize"]
    y = run_view_plan(x, {"steps": steps, "final_resize": final != (size, size)}, size, exact_noise=True)
    ours = t["case." + c["name"]].permute(0, 3, 1, 2)
    res = {"maxAbs": float((y - ours).abs().max()), "shape": list(y.shape)}
    if c.get("seed") is not None:
        # the Python stream and draw functions on their own, from the same seed
        plan = draw_view_plan(p, x.shape[0], x.shape[2], x.shape[3], Rng.from_seed(c["seed"]))
        res["draws"] = [[{"op": s["entry"]["op"], "step": s["step"], "applied": s["fired"][i], "drawn": s["draws"][i]} for s in plan["steps"]] for i in range(x.shape[0])]
    out[c["name"]] = res
print(json.dumps(out))
`;

function closeDraws(a: unknown, b: unknown, where: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    expect(Math.abs(a - b), where).toBeLessThan(1e-9 * Math.max(1, Math.abs(b)));
  } else if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, where).toBe(b.length);
    a.forEach((v, i) => closeDraws(v, b[i], `${where}[${i}]`));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), where).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(b)) closeDraws((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
  } else {
    expect(a, where).toEqual(b);
  }
}

describe.skipIf(!peer.python)(`exported PyTorch augmentations against the engine${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
  let set: ImageSet;
  beforeAll(async () => {
    await initBackend();
    set = readCifar10(CIFAR10_DIR).splits.train;
  });

  it('every op, and the "All ops" preset, to <= 1/255 max abs; Python draws the same parameters from the same seed', () => {
    const cases: { name: string; pipeline: Pipeline; records: unknown; seed: number | null }[] = [];
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: ArrayLike<number> }> = {};
    const images = new Float32Array(INDICES.length * 32 * 32 * 3);
    INDICES.forEach((j, i) => images.set(set.images.subarray(j * 3072, (j + 1) * 3072), i * 3072));
    tensors.images = { dtype: 'F32', shape: [INDICES.length, 32, 32, 3], data: images };
    const add = (name: string, pipeline: Pipeline, seed: number, checkDraws: boolean) => {
      const { views, records } = drawViews(set, INDICES, pipeline, Rng.fromSeed(seed), 1);
      tensors[`case.${name}`] = { dtype: 'F32', shape: views[0]!.shape, data: views[0]!.dataSync() };
      views[0]!.dispose();
      cases.push({ name, pipeline, records: records[0], seed: checkDraws ? seed : null });
    };
    for (const [op, input] of Object.entries(OP_CASES)) add(op, parsePipeline({ version: 1, ...input }), 11, false);
    add('All ops', PIPELINE_PRESETS['All ops'], 5, true);
    add('SimCLR CIFAR', PIPELINE_PRESETS['SimCLR CIFAR'], 9, true);
    add('final resize', parsePipeline({ version: 1, outputSize: 28, ops: [{ op: 'colorJitter', p: 1 }] }), 3, true);
    const casesFile = path.join(tmp, 'cases.json');
    const tensorsFile = path.join(tmp, 'tensors.safetensors');
    fs.writeFileSync(casesFile, JSON.stringify(cases));
    fs.writeFileSync(tensorsFile, encodeSafetensors(tensors));
    const out = JSON.parse(execFileSync(peer.python!, ['-c', PY, TEMPLATE_DIR, casesFile, tensorsFile], { encoding: 'utf8', timeout: 180_000 })) as Record<string, { maxAbs: number; shape: number[]; draws?: unknown }>;
    const report = Object.entries(out).map(([k, v]) => `${k} ${v.maxAbs.toExponential(1)}`);
    console.log(`augment parity (max abs per case): ${report.join(', ')}`);
    for (const c of cases) {
      const r = out[c.name]!;
      const shape = tensors[`case.${c.name}`]!.shape;
      expect(r.shape, c.name).toEqual([shape[0], shape[3], shape[1], shape[2]]);
      expect(r.maxAbs, c.name).toBeLessThanOrEqual(1 / 255);
      if (c.seed !== null) closeDraws(r.draws, c.records, `${c.name} draws`);
    }
    // every op was exercised on some sample, and skipped on another
    for (const op of OP_NAMES) {
      const recs = (cases.find((c) => c.name === op)!.records as { applied: boolean }[][]).map((r) => r[0]!.applied);
      expect(recs.some(Boolean) && recs.some((a) => !a), op).toBe(true);
    }
    expect(readSafetensors(tensorsFile).tensors.size).toBe(cases.length + 1);
  }, 240_000);
});

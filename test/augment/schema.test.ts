import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../src/engine/augment/index.js';
import {
  defaultOp,
  OP_NAMES,
  parsePipeline,
  PIPELINE_PRESET_NAMES,
  PIPELINE_PRESETS,
  PipelineError,
  pipelinePreset,
  resolvePipeline,
} from '../../src/shared/pipeline.js';
import { formatIssues } from '../../src/shared/validation.js';

function issuesOf(raw: unknown): string[] {
  // one "path: message" line per problem, as the CLI prints them
  try {
    parsePipeline(raw, 'my.json');
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as Error).message).toMatch(/^my\.json: invalid augmentation pipeline:/);
    return formatIssues((err as PipelineError).issues);
  }
  throw new Error('expected the pipeline to be refused');
}

describe('pipeline schema', () => {
  it('fills the defaults of the pipeline and of each op', () => {
    const p = parsePipeline({ version: 1, ops: [{ op: 'gaussianBlur' }, { op: 'colorJitter', params: { strength: 1 } }, { op: 'randomResizedCrop', p: 0.9, enabled: false }] });
    expect(p.outputSize).toBe(32);
    expect(p.normalize).toEqual({ mean: [0, 0, 0], std: [1, 1, 1] });
    expect(p.ops[0]).toEqual({ op: 'gaussianBlur', p: 0.5, enabled: true, params: { sigma: [0.1, 2], kernelFraction: 0.1, padding: 'reflect' } });
    expect(p.ops[1]).toEqual({ op: 'colorJitter', p: 0.8, enabled: true, params: { strength: 1, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, randomOrder: true } });
    expect(p.ops[2]).toMatchObject({ op: 'randomResizedCrop', p: 0.9, enabled: false, params: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3], attempts: 10 } });
    for (const op of OP_NAMES) expect(defaultOp(op).op).toBe(op);
  });

  it('the presets follow the SimCLR recipes', () => {
    expect(PIPELINE_PRESET_NAMES).toEqual(['SimCLR CIFAR', 'SimCLR ImageNet', 'All ops']);
    const cifar = PIPELINE_PRESETS['SimCLR CIFAR'];
    expect(cifar.ops.map((o) => [o.op, o.p])).toEqual([
      ['randomResizedCrop', 1],
      ['horizontalFlip', 0.5],
      ['colorJitter', 0.8],
      ['grayscale', 0.2],
    ]);
    expect(cifar.ops[0]!.params).toMatchObject({ scale: [0.08, 1], ratio: [3 / 4, 4 / 3] });
    expect(cifar.ops[2]!.params).toMatchObject({ strength: 0.5, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 });
    const imagenet = PIPELINE_PRESETS['SimCLR ImageNet'];
    expect(imagenet.ops.find((o) => o.op === 'colorJitter')!.params).toMatchObject({ strength: 1 });
    expect(imagenet.ops.find((o) => o.op === 'gaussianBlur')).toMatchObject({ p: 0.5, params: { sigma: [0.1, 2], kernelFraction: 0.1 } });
    expect(new Set(PIPELINE_PRESETS['All ops'].ops.map((o) => o.op))).toEqual(new Set(OP_NAMES));
    // presets survive a JSON round trip unchanged
    for (const name of PIPELINE_PRESET_NAMES) expect(parsePipeline(JSON.parse(JSON.stringify(PIPELINE_PRESETS[name])))).toEqual(PIPELINE_PRESETS[name]);
    // copies are independent of the table
    const copy = pipelinePreset('SimCLR CIFAR', { outputSize: 24 });
    copy.ops.pop();
    expect(copy.outputSize).toBe(24);
    expect(PIPELINE_PRESETS['SimCLR CIFAR'].ops).toHaveLength(4);
  });

  it('errors name the bad field and say what is wrong', () => {
    const issues = issuesOf({
      version: 1,
      outputSize: 4,
      normalize: { std: [0.2, 0, 0.2] },
      ops: [
        { op: 'horizontalFlip', p: 1.5 },
        { op: 'colorJitter', params: { hue: 0.7 } },
        { op: 'randomResizedCrop', params: { scale: [0.9, 0.1] } },
        { op: 'gaussianBlur', params: { sigma: 'big' } },
        { op: 'rotate', params: { degrees: [-30] } },
        { op: 'cutout', params: { colour: 1 } },
        { op: 'zoom' },
      ],
    });
    const at = (field: string) => issues.find((i) => i.startsWith(`${field}: `));
    expect(at('outputSize')).toMatch(/>=\s*8/);
    expect(at('normalize.std.1')).toBeDefined();
    expect(at('ops.0.p')).toMatch(/<=\s*1/);
    expect(at('ops.1.params.hue')).toMatch(/<=\s*0\.5/);
    expect(at('ops.2.params.scale')).toMatch(/low <= high/);
    expect(at('ops.3.params.sigma')).toMatch(/tuple|array/i);
    expect(at('ops.4.params.degrees')).toBeDefined();
    expect(at('ops.5.params')).toBe('ops.5.params: unknown field "colour" (cutout takes size, fill)');
    expect(at('ops.6.op')).toMatch(/unknown op "zoom"; use one of randomResizedCrop, centerCrop/);
  });

  it('explains a missing or newer version', () => {
    expect(issuesOf({ ops: [] })).toEqual([expect.stringMatching(/^version: must be 1 \(got undefined\); add "version": 1/)]);
    expect(issuesOf({ version: 2, ops: [] })).toEqual([expect.stringMatching(/^version: pipeline version 2 is newer than this app reads \(1\)/)]);
    expect(issuesOf({ version: 1, ops: [], extra: true })).toEqual([expect.stringMatching(/^\(pipeline\): unknown field "extra"/)]);
  });

  it('resolves preset names and refuses unknown ones with the list', () => {
    expect(resolvePipeline('All ops')).toEqual(PIPELINE_PRESETS['All ops']);
    expect(() => resolvePipeline('SimCLR cifar')).toThrow(/unknown preset "SimCLR cifar"; use one of "SimCLR CIFAR", "SimCLR ImageNet", "All ops"/);
  });
});

describe('loadPipeline', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a JSON file, a preset name or an object; errors name the file and field', () => {
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(good, JSON.stringify({ version: 1, outputSize: 24, ops: [{ op: 'sobel' }] }));
    expect(loadPipeline(good).ops[0]).toMatchObject({ op: 'sobel', p: 1 });
    expect(loadPipeline('SimCLR CIFAR')).toEqual(PIPELINE_PRESETS['SimCLR CIFAR']);
    expect(loadPipeline({ version: 1 }).ops).toEqual([]);

    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ version: 1, ops: [{ op: 'solarize', params: { threshold: 2 } }] }));
    expect(() => loadPipeline(bad)).toThrow(`${bad}: invalid augmentation pipeline:\n  ops.0.params.threshold:`);
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"version": 1,');
    expect(() => loadPipeline(broken)).toThrow(`${broken}: not valid JSON`);
    expect(() => loadPipeline(path.join(dir, 'missing.json'))).toThrow(/is neither a preset \(SimCLR CIFAR, SimCLR ImageNet, All ops\) nor a readable file \(ENOENT\)/);
  });
});

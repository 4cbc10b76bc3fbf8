/**
 * The random parameters the pipeline draws (through drawViewPlan, the code
 * path of every batch) follow the distributions the ops promise, within
 * statistical tolerance over many draws. No tensors: plans are pure JS.
 */
import { describe, expect, it } from 'vitest';
import { drawViewPlan, planRecords, Rng, type OpRecord } from '../../src/engine/augment/index.js';
import { parsePipeline, type PipelineInput } from '../../src/shared/pipeline.js';
import { chiSquareBound, chiSquareUniform, ksCritical, ksDistance, mean, uniformCdf, withinBinomial } from './stats.js';

type Box = { x: number; y: number; w: number; h: number };

/** n samples' records of one view, for images of the given size. */
function records(input: Omit<PipelineInput, 'version'>, n: number, size = { height: 32, width: 32 }, seed = 1): OpRecord[][] {
  return planRecords(drawViewPlan(parsePipeline({ version: 1, ...input }), n, size, Rng.fromSeed(seed)));
}
const drawnOf = <T>(rs: OpRecord[][], step = 0) => rs.map((r) => r[step]!).filter((r) => r.applied).map((r) => r.drawn as T);

describe('sampled parameter distributions', () => {
  it('randomResizedCrop: area fraction uniform in scale, log aspect ratio uniform, corner uniform (no rejections)', () => {
    const n = 20_000;
    const size = { height: 1000, width: 1000 }; // large, so rounding to pixels is negligible
    const d = drawnOf<{ box: Box; scale: number; ratio: number; attempts: number; fallback: boolean }>(
      records({ outputSize: 32, ops: [{ op: 'randomResizedCrop', params: { scale: [0.08, 0.5], ratio: [3 / 4, 4 / 3] } }] }, n, size),
    );
    expect(d).toHaveLength(n);
    expect(d.every((c) => c.attempts === 1 && !c.fallback)).toBe(true); // at most 0.816 of a side: always fits
    expect(ksDistance(d.map((c) => c.scale), uniformCdf(0.08, 0.5))).toBeLessThan(ksCritical(n));
    expect(ksDistance(d.map((c) => Math.log(c.ratio)), uniformCdf(Math.log(3 / 4), Math.log(4 / 3)))).toBeLessThan(ksCritical(n));
    // the box realises the drawn area and ratio up to rounding to whole pixels
    const area = d.map((c) => (c.box.w * c.box.h) / 1e6);
    expect(ksDistance(area, uniformCdf(0.08, 0.5))).toBeLessThan(ksCritical(n) + 0.002);
    for (const c of d.slice(0, 500)) {
      expect(Math.abs(c.box.w / c.box.h - c.ratio)).toBeLessThan(0.01);
      expect(c.box.x + c.box.w).toBeLessThanOrEqual(1000);
      expect(c.box.y + c.box.h).toBeLessThanOrEqual(1000);
    }
    // the corner is uniform over the valid positions
    const rel = d.filter((c) => c.box.w < 990).map((c) => c.box.x / (1000 - c.box.w));
    expect(ksDistance(rel, uniformCdf(0, 1))).toBeLessThan(ksCritical(rel.length) + 0.002);
  });

  it('randomResizedCrop on 32 px with the SimCLR range: valid boxes, rejections retried, central fallback', () => {
    const d = drawnOf<{ box: Box; attempts: number; fallback: boolean }>(records({ ops: [{ op: 'randomResizedCrop' }] }, 5000));
    for (const c of d) {
      expect(c.box.w).toBeGreaterThan(0);
      expect(c.box.x + c.box.w).toBeLessThanOrEqual(32);
      expect(c.box.y + c.box.h).toBeLessThanOrEqual(32);
      expect(c.box.w * c.box.h).toBeGreaterThanOrEqual(Math.floor(0.08 * 1024 * 0.8));
    }
    expect(d.some((c) => c.attempts > 1)).toBe(true); // big areas at extreme ratios do not fit and are redrawn
    // an impossible request (nearly the whole image at ratio 2..3) falls back to the central box with the ratio clamped
    const f = drawnOf<{ box: Box; fallback: boolean }>(records({ ops: [{ op: 'randomResizedCrop', params: { scale: [0.95, 1], ratio: [2, 3] } }] }, 10));
    for (const c of f) expect(c).toMatchObject({ fallback: true, box: { x: 0, y: 8, w: 32, h: 16 } });
  });

  it('each op fires with its probability p, independently per op', () => {
    const n = 20_000;
    const rs = records({ ops: [{ op: 'horizontalFlip', p: 0.5 }, { op: 'grayscale', p: 0.2 }, { op: 'solarize', p: 0.8 }, { op: 'sobel', p: 0 }, { op: 'cutout', p: 1 }] }, n);
    const hits = [0, 1, 2, 3, 4].map((k) => rs.filter((r) => r[k]!.applied).length);
    expect(withinBinomial(hits[0]!, n, 0.5)).toBe(true);
    expect(withinBinomial(hits[1]!, n, 0.2)).toBe(true);
    expect(withinBinomial(hits[2]!, n, 0.8)).toBe(true);
    expect(hits[3]).toBe(0);
    expect(hits[4]).toBe(n);
    const both = rs.filter((r) => r[0]!.applied && r[1]!.applied).length;
    expect(withinBinomial(both, n, 0.1)).toBe(true);
  });

  it('colorJitter: factors uniform in [1 - k s, 1 + k s], hue in [-h s, h s], all 24 orders equally likely', () => {
    const n = 24_000;
    const d = drawnOf<{ order: string[]; brightness: number; contrast: number; saturation: number; hue: number }>(
      records({ ops: [{ op: 'colorJitter', p: 1, params: { strength: 0.5 } }] }, n),
    );
    for (const k of ['brightness', 'contrast', 'saturation'] as const) expect(ksDistance(d.map((x) => x[k]), uniformCdf(0.6, 1.4))).toBeLessThan(ksCritical(n));
    expect(ksDistance(d.map((x) => x.hue), uniformCdf(-0.1, 0.1))).toBeLessThan(ksCritical(n));
    const orders = new Map<string, number>();
    for (const x of d) orders.set(x.order.join(','), (orders.get(x.order.join(',')) ?? 0) + 1);
    expect(orders.size).toBe(24);
    expect(chiSquareUniform([...orders.values()])).toBeLessThan(chiSquareBound(23));
    // a strength above 1 / k floors the factor at 0; a fixed order when randomOrder is off
    const strong = drawnOf<{ brightness: number; order: string[] }>(records({ ops: [{ op: 'colorJitter', p: 1, params: { strength: 2, brightness: 0.8, randomOrder: false } }] }, 2000));
    expect(Math.min(...strong.map((x) => x.brightness))).toBeGreaterThanOrEqual(0);
    expect(ksDistance(strong.map((x) => x.brightness), uniformCdf(0, 2.6))).toBeLessThan(ksCritical(2000));
    expect(new Set(strong.map((x) => x.order.join(',')))).toEqual(new Set(['brightness,contrast,saturation,hue']));
  });

  it('blur sigma, rotation angle, quarter turns, cutout side and noise std follow their ranges', () => {
    const n = 10_000;
    const rs = records(
      {
        ops: [
          { op: 'gaussianBlur', p: 1, params: { sigma: [0.1, 2] } },
          { op: 'rotate', p: 1, params: { degrees: [-30, 45] } },
          { op: 'rotate90', p: 1 },
          { op: 'cutout', p: 1, params: { size: [0.25, 0.5] } },
          { op: 'gaussianNoise', p: 1, params: { std: [0.01, 0.1] } },
        ],
      },
      n,
    );
    expect(ksDistance(drawnOf<{ sigma: number }>(rs, 0).map((x) => x.sigma), uniformCdf(0.1, 2))).toBeLessThan(ksCritical(n));
    expect(drawnOf<{ kernel: number }>(rs, 0).every((x) => x.kernel === 3)).toBe(true);
    expect(ksDistance(drawnOf<{ degrees: number }>(rs, 1).map((x) => x.degrees), uniformCdf(-30, 45))).toBeLessThan(ksCritical(n));
    const turns = [0, 0, 0, 0];
    for (const x of drawnOf<{ quarterTurns: number }>(rs, 2)) turns[x.quarterTurns]!++;
    expect(chiSquareUniform(turns)).toBeLessThan(chiSquareBound(3));
    const sides = drawnOf<{ side: number; box: Box }>(rs, 3);
    expect(Math.min(...sides.map((x) => x.side))).toBe(8);
    expect(Math.max(...sides.map((x) => x.side))).toBe(16);
    // the centre is uniform: the mean box centre sits mid-image
    expect(Math.abs(mean(sides.map((x) => x.box.x + x.box.w / 2)) - 16)).toBeLessThan(0.5);
    expect(ksDistance(drawnOf<{ std: number }>(rs, 4).map((x) => x.std), uniformCdf(0.01, 0.1))).toBeLessThan(ksCritical(n));
    expect(new Set(drawnOf<{ seed: number }>(rs, 4).map((x) => x.seed)).size).toBeGreaterThan(n - 5);
  });
});

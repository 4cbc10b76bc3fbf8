import { describe, expect, it } from 'vitest';
import { pipelinePreset } from '../../src/shared/pipeline';
import * as edit from '../../src/renderer/src/views/augment/pipeline-edit';
import { fitView, insidePolygon, nearestPoint, pointsInBox, pointsInLasso, toScreen } from '../../src/renderer/src/views/embeddings/scatter';
import { checkForm, configToForm, defaultForm, formToConfig } from '../../src/renderer/src/lib/train-form';
import { gridWindow, pagesFor, scrollToRow } from '../../src/renderer/src/views/datasets/virtual';

describe('pipeline edits', () => {
  it('move, toggle, set and reset return new pipelines and leave the old one alone', () => {
    const p = pipelinePreset('SimCLR CIFAR');
    const moved = edit.moveOp(p, 3, 0);
    expect(moved.ops.map((o) => o.op)).toEqual(['grayscale', 'randomResizedCrop', 'horizontalFlip', 'colorJitter']);
    expect(p.ops[0]!.op).toBe('randomResizedCrop');
    expect(edit.moveOp(p, 0, 99).ops.map((o) => o.op)).toEqual(['horizontalFlip', 'colorJitter', 'grayscale', 'randomResizedCrop']);
    const changed = edit.setParam(edit.setProbability(p, 2, 0.3), 2, 'hue', 0.1);
    expect(changed.ops[2]).toMatchObject({ p: 0.3, params: { hue: 0.1, strength: 0.5 } });
    const reset = edit.resetOp(edit.setEnabled(changed, 2, false), 2);
    expect(reset.ops[2]).toMatchObject({ p: 0.8, enabled: false, params: { hue: 0.2 } });
  });

  it('validates with the shared schema, keyed by field path', () => {
    const bad = edit.setParam(pipelinePreset('SimCLR CIFAR'), 0, 'scale', [0.9, 0.2]);
    const issues = edit.validatePipeline(bad);
    expect([...issues.keys()]).toEqual(['ops.0.params.scale']);
    expect(edit.opIssues(issues, 0).get('params.scale')).toMatch(/low <= high/);
    expect(edit.validatePipeline(pipelinePreset('All ops')).size).toBe(0);
  });

  it('has controls for every parameter of every op', () => {
    for (const name of edit.OP_NAMES) {
      const op = edit.addOp({ ...pipelinePreset('SimCLR CIFAR'), ops: [] }, name).ops[0]!;
      expect(edit.PARAM_SPECS[name].map((s) => s.key).sort()).toEqual(Object.keys(op.params).sort());
    }
  });
});

describe('train form', () => {
  const designer = pipelinePreset('SimCLR CIFAR');

  it('turns the default form into a valid config', () => {
    const { config, issues } = checkForm(defaultForm('cifar10'), designer);
    expect(issues.size).toBe(0);
    expect(config).toMatchObject({ dataset: 'cifar10', epochs: 2, batchSize: 128, trainLimit: 2048, model: { preset: 'tiny' }, optimizer: { name: 'lars', baseLr: 0.075 } });
  });

  it('reports bad fields by path, including rules across fields', () => {
    const f = { ...defaultForm('cifar10'), epochs: '', batchSize: 1, temperature: -1 };
    const { config, issues } = checkForm(f, designer);
    expect(config).toBeNull();
    expect(issues.get('epochs')).toBe('Epochs: enter a number');
    expect(issues.get('batchSize')).toMatch(/at least 2/);
    expect(issues.has('temperature')).toBe(true);
    const cross = checkForm({ ...defaultForm('cifar10'), epochs: 2, warmupEpochs: 5 }, designer);
    expect(cross.issues.get('optimizer.warmupEpochs')).toMatch(/longer than epochs/);
  });

  it('round-trips a cloned config, sending a designer pipeline as an object', () => {
    const custom = edit.setProbability(designer, 1, 0.9);
    const cfg = formToConfig({ ...defaultForm('cifar10'), pipeline: 'designer', baseLr: 0.5, trainLimit: '' }, custom);
    expect(cfg.pipeline).toEqual(custom);
    expect(cfg.trainLimit).toBeNull();
    const back = configToForm(cfg, 'x');
    expect(back.pipeline).toEqual(custom);
    expect(back.form).toMatchObject({ pipeline: 'designer', baseLr: '0.5', trainLimit: '', dataset: 'cifar10' });
  });
});

describe('scatter geometry', () => {
  const coords = [0, 0, 10, 0, 0, 10, 10, 10, 5, 5];
  const all = () => true;

  it('fits the points into the canvas with the aspect kept, y pointing up', () => {
    const v = fitView(coords, 220, 120, 10);
    expect(toScreen(v, 5, 5)).toEqual([110, 60]);
    const [x0, y0] = toScreen(v, 0, 0);
    const [x1, y1] = toScreen(v, 10, 10);
    expect(y1).toBeLessThan(y0);
    expect(y0 - y1).toBeCloseTo(100);
    expect(x1 - x0).toBeCloseTo(100);
  });

  it('finds the nearest visible point within a radius', () => {
    const v = fitView(coords, 220, 120, 10);
    const [cx, cy] = toScreen(v, 10, 10);
    expect(nearestPoint(coords, v, cx + 2, cy + 2, 8, all)).toBe(3);
    expect(nearestPoint(coords, v, cx + 2, cy + 2, 8, (i) => i !== 3)).toBe(-1);
  });

  it('selects by box and by lasso', () => {
    const v = fitView(coords, 220, 120, 10);
    const a = toScreen(v, -1, 11);
    const b = toScreen(v, 6, 4);
    expect(pointsInBox(coords, v, a, b, all)).toEqual([2, 4]);
    // a triangle over the lower-left half (in data terms): x + y < 11
    const tri = ([[-1, -1], [12, -1], [-1, 12]] as const).map(([x, y]) => toScreen(v, x, y));
    expect(pointsInLasso(coords, v, tri, all)).toEqual([0, 1, 2, 4]);
    expect(pointsInLasso(coords, v, tri, (i) => i !== 4)).toEqual([0, 1, 2]);
    expect(insidePolygon([[0, 0], [4, 0], [4, 4], [0, 4]], 2, 2)).toBe(true);
    expect(insidePolygon([[0, 0], [4, 0], [4, 4], [0, 4]], 5, 2)).toBe(false);
  });
});

describe('virtual grid', () => {
  it('renders only the rows in view plus a margin, and fetches the pages they cover', () => {
    const w = gridWindow({ total: 10_000, width: 560, cell: 52, gap: 4, scrollTop: 5600, viewport: 440, overscanRows: 2 });
    expect(w.columns).toBe(10);
    expect(w.start).toBe(980);
    expect(w.end).toBe(1100);
    expect(w.totalHeight).toBe(1000 * 56 - 4);
    expect(pagesFor(w.start, w.end, 240)).toEqual([4]);
    expect(pagesFor(230, 250, 240)).toEqual([0, 1]);
  });

  it('scrolls just enough to show a row', () => {
    expect(scrollToRow(10, 56, 0, 440)).toBe(11 * 56 - 440);
    expect(scrollToRow(2, 56, 0, 440)).toBeNull();
    expect(scrollToRow(1, 56, 200, 440)).toBe(56);
  });
});

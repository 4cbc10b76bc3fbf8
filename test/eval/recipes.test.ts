import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/engine/backend/index.js';
import { readCifar10 } from '../../src/engine/data/cifar.js';
import { subset, type ImageSet } from '../../src/engine/data/types.js';
import { classifierModel, trainClassifier } from '../../src/engine/eval/finetune.js';
import { FINETUNE_RECIPE_TABLE, LINEAR_B6_RECIPE, MIN_B5_STEPS, paperB5Epochs, stepsPerEpoch, supervisedRecipe } from '../../src/engine/eval/recipes.js';
import { createModel } from '../../src/engine/models/index.js';
import * as optim from '../../src/engine/optim/index.js';
import { pipelinePreset } from '../../src/shared/pipeline.js';
import { CIFAR10_DIR } from '../support/shared-data.js';
import { readWeights } from '../models/support.js';

// Wrap createOptimizer so the test sees the config each training run passes to it.
vi.mock('../../src/engine/optim/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/optim/index.js')>();
  return { ...real, createOptimizer: vi.fn(real.createOptimizer) };
});

let train: ImageSet;
let test: ImageSet;
const pipeline = pipelinePreset('SimCLR CIFAR');

beforeAll(async () => {
  await initBackend('tensorflow');
  const ds = readCifar10(CIFAR10_DIR);
  train = subset(ds.splits.train, Array.from({ length: 40 }, (_, i) => i));
  test = subset(ds.splits.test!, Array.from({ length: 20 }, (_, i) => i));
});

describe('named training recipes', () => {
  it('paper-b5 is the paper\'s B.5: Nesterov 0.9, lr 0.05 per 256, no warmup, no weight decay, crop + flip only', () => {
    const r = FINETUNE_RECIPE_TABLE['paper-b5'];
    expect({ baseLr: r.baseLr, momentum: r.momentum, weightDecay: r.weightDecay, warmupEpochs: r.warmupEpochs, cropScale: r.cropScale }).toEqual({
      baseLr: 0.05,
      momentum: 0.9,
      weightDecay: 0,
      warmupEpochs: 0,
      cropScale: [0.08, 1],
    });
    // the cifar recipe is what the workbench always did
    expect(FINETUNE_RECIPE_TABLE.cifar).toMatchObject({ batchSize: 64, baseLr: 0.1, weightDecay: 5e-4, cropScale: [0.5, 1] });
    expect(FINETUNE_RECIPE_TABLE.cifar.epochs(0.01, 500)).toBe(10);
    expect(supervisedRecipe('cifar').baseLr).toBe(0.2);
    expect(LINEAR_B6_RECIPE).toMatchObject({ baseLr: 0.1, weightDecay: 0, momentum: 0.9 });
    expect(LINEAR_B6_RECIPE.epochs(1, 50_000)).toBe(90);
  });

  it('paper-b5 epochs: 60 at 1% of labels, 30 at 10%, log-linear between, raised on tiny sets to the minimum step count', () => {
    // CIFAR-10 sizes at batch 256: 1% = 500 images (2 steps/epoch), 10% = 5000 (20 steps/epoch)
    expect(paperB5Epochs(0.01, 500, 256)).toBe(60);
    expect(paperB5Epochs(0.1, 5000, 256)).toBe(30);
    expect(paperB5Epochs(1, 50_000, 256)).toBe(30);
    expect(paperB5Epochs(0.001, 50, 256)).toBe(MIN_B5_STEPS); // 1 step per epoch
    // 5%: t = ln 5 / ln 10 = 0.699 of the way from 60 to 30
    expect(paperB5Epochs(0.05, 2500, 256)).toBe(Math.round(60 - 30 * (Math.log(5) / Math.log(10))));
    expect(stepsPerEpoch(500, 256)).toBe(2);
    expect(stepsPerEpoch(257, 256)).toBe(1); // a last batch of one image is dropped
    expect(FINETUNE_RECIPE_TABLE['paper-b5'].epochs(0.01, 500)).toBe(60);
  });

  it("paper-b5's hyperparameters reach the optimiser, the schedule and the result's settings", async () => {
    const create = vi.mocked(optim.createOptimizer);
    create.mockClear();
    const base = createModel({ arch: 'resnet18', width: 0.125 }, 1);
    const model = classifierModel(base, 10, 'weights', 1);
    const lrs: number[] = [];
    const r = await trainClassifier(model, train, test, pipeline, 10, {
      recipe: FINETUNE_RECIPE_TABLE['paper-b5'],
      labelFraction: 0.01,
      epochs: 1,
      batchSize: 20,
      onProgress: (e) => lrs.push(e.lr),
    });
    expect(create).toHaveBeenCalledTimes(1);
    const [config, params] = create.mock.calls[0]!;
    expect(config).toMatchObject({ kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0 });
    expect(params.some((p) => p.name.startsWith('encoder/'))).toBe(true);
    // no warmup: the first step runs at the peak, 0.05 x 20/256
    expect(lrs[0]).toBeCloseTo((0.05 * 20) / 256, 10);
    expect(r.settings).toMatchObject({ recipe: 'paper-b5', baseLr: 0.05, weightDecay: 0, warmupEpochs: 0, cropScale: [0.08, 1], nesterov: true, encoder: 'trained', epochs: 1 });
    expect(r.steps).toBe(2);
    [base, model].forEach((m) => m.dispose());
  });

  it('the B.6 linear protocol trains the classifier only: encoder weights and BN statistics stay as they were', async () => {
    const create = vi.mocked(optim.createOptimizer);
    create.mockClear();
    const base = createModel({ arch: 'resnet18', width: 0.125 }, 2);
    const model = classifierModel(base, 10, 'weights', 2);
    const before = await readWeights(model);
    const lrs: number[] = [];
    const r = await trainClassifier(model, train, test, pipeline, 10, { recipe: LINEAR_B6_RECIPE, freezeEncoder: true, epochs: 2, onProgress: (e) => lrs.push(e.lr) });
    const [config, params] = create.mock.calls[0]!;
    expect(config).toMatchObject({ kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0 });
    expect(params.map((p) => p.name).sort()).toEqual(['classifier/bias', 'classifier/kernel']);
    expect(lrs[0]).toBeCloseTo((0.1 * 40) / 256, 10); // batch capped at the 40 labelled images
    const after = await readWeights(model);
    for (const name of Object.keys(before)) {
      if (name.startsWith('classifier/')) expect(after[name], name).not.toEqual(before[name]);
      else expect(after[name], name).toEqual(before[name]);
    }
    expect(r.settings).toMatchObject({ recipe: 'paper-b6', encoder: 'frozen', epochs: 2 });
    [base, model].forEach((m) => m.dispose());
  });
});

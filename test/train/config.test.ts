import { describe, expect, it } from 'vitest';
import { parseTrainConfig, resolveLearningRate, TrainConfigError } from '../../src/shared/train-config.js';
import { formatIssues } from '../../src/shared/validation.js';

function errorOf(raw: unknown): TrainConfigError {
  try {
    parseTrainConfig(raw, 'my.json');
  } catch (err) {
    expect(err).toBeInstanceOf(TrainConfigError);
    return err as TrainConfigError;
  }
  throw new Error('expected the config to be refused');
}

describe('training config', () => {
  it('fills defaults for a tiny CPU run', () => {
    const c = parseTrainConfig({ dataset: 'cifar10' });
    expect(c.model.preset).toBe('tiny');
    expect(c.model.projectionDim).toBe(128);
    expect(c.optimizer).toMatchObject({ name: 'lars', lrScaling: 'sqrt', weightDecay: 1e-6, momentum: 0.9 });
    expect(c.knn).toMatchObject({ every: 1, k: 200, temperature: 0.1 });
    expect(c.pipeline).toBe('SimCLR CIFAR');
    expect(c.temperature).toBe(0.5);
    expect(c.backend).toBe('auto');
    expect(c.epochs).toBeGreaterThan(0);
  });

  it('scales the learning rate linearly or by the square root of the batch', () => {
    expect(resolveLearningRate({ batchSize: 512, optimizer: { ...parseTrainConfig({ dataset: 'x' }).optimizer, lrScaling: 'linear', baseLr: 0.3 } })).toBeCloseTo(0.6, 12);
    expect(resolveLearningRate({ batchSize: 256, optimizer: { ...parseTrainConfig({ dataset: 'x' }).optimizer, lrScaling: 'sqrt', baseLr: undefined } })).toBeCloseTo(0.075 * 16, 12);
    // AdamW's default lands on 1e-3 at batch 256 under both scaling rules.
    for (const lrScaling of ['sqrt', 'linear'] as const) {
      const adamw = parseTrainConfig({ dataset: 'x', optimizer: { name: 'adamw', lrScaling } }).optimizer;
      expect(resolveLearningRate({ batchSize: 256, optimizer: adamw })).toBeCloseTo(1e-3, 12);
    }
  });

  it('names the field in every error', () => {
    expect(formatIssues(errorOf({ dataset: 'cifar10', epochs: 0 }).issues).join('\n')).toMatch(/^epochs: /m);
    expect(formatIssues(errorOf({ dataset: 'cifar10', batchSize: 1 }).issues).join('\n')).toMatch(/^batchSize: NT-Xent needs at least 2/m);
    expect(formatIssues(errorOf({ dataset: 'cifar10', optimizer: { name: 'adam' } }).issues).join('\n')).toMatch(/^optimizer\.name: .*lars.*sgd.*adamw/m);
    expect(formatIssues(errorOf({ dataset: 'cifar10', model: { preset: 'huge' } }).issues).join('\n')).toMatch(/^model\.preset: .*tiny/m);
    expect(formatIssues(errorOf({ dataset: 'cifar10', temperature: -1 }).issues).join('\n')).toMatch(/^temperature: /m);
    expect(formatIssues(errorOf({ dataset: 'cifar10', knn: { k: 2.5 } }).issues).join('\n')).toMatch(/^knn\.k: /m);
    expect(errorOf({ dataset: 'cifar10', optimizer: { warmupEpochs: 10 }, epochs: 2 }).message).toMatch(/optimizer\.warmupEpochs: 10 is longer than epochs/);
  });

  it('refuses unknown fields by name (typos do not pass silently)', () => {
    const e = errorOf({ dataset: 'cifar10', epoch: 3, optimizer: { lr: 1 } });
    expect(formatIssues(e.issues).join('\n')).toMatch(/unknown field "epoch"/);
    expect(formatIssues(e.issues).join('\n')).toMatch(/^optimizer: unknown field "lr"/m);
    expect(e.message).toMatch(/^my\.json: invalid training config/);
  });

  it('requires a dataset', () => {
    expect(formatIssues(errorOf({}).issues).join('\n')).toMatch(/^dataset: /m);
  });
});

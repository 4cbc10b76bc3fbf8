import { describe, expect, it } from 'vitest';
import { learningRateAt, scaleLearningRate } from '../../src/engine/optim/index.js';

describe('learning-rate scaling', () => {
  it('linear: base x batch / 256; sqrt: base x sqrt(batch)', () => {
    expect(scaleLearningRate(0.3, 256, 'linear')).toBeCloseTo(0.3, 12);
    expect(scaleLearningRate(0.3, 4096, 'linear')).toBeCloseTo(4.8, 12);
    expect(scaleLearningRate(0.075, 4096, 'sqrt')).toBeCloseTo(4.8, 12);
    expect(scaleLearningRate(0.075, 256, 'sqrt')).toBeCloseTo(1.2, 12);
    expect(scaleLearningRate(0.1, 512, 'none')).toBe(0.1);
    expect(() => scaleLearningRate(0.1, 0, 'linear')).toThrow(/batch size/);
  });
});

describe('warmup then cosine decay', () => {
  const s = { peak: 2, warmupSteps: 10, totalSteps: 110 };
  it('rises linearly from 0 to the peak over the warmup steps', () => {
    expect(learningRateAt(0, s)).toBe(0);
    expect(learningRateAt(5, s)).toBeCloseTo(1, 12);
    expect(learningRateAt(9, s)).toBeCloseTo(1.8, 12);
  });
  it('then follows half a cosine to 0 at totalSteps, and stays there', () => {
    expect(learningRateAt(10, s)).toBeCloseTo(2, 12);
    expect(learningRateAt(35, s)).toBeCloseTo(1 + Math.SQRT1_2, 12); // a quarter of the way: 0.5 * (1 + cos(pi/4)) * 2
    expect(learningRateAt(60, s)).toBeCloseTo(1, 12);
    expect(learningRateAt(110, s)).toBeCloseTo(0, 12);
    expect(learningRateAt(500, s)).toBeCloseTo(0, 12);
  });
  it('no warmup starts at the peak; a bad schedule is refused', () => {
    expect(learningRateAt(0, { peak: 1, warmupSteps: 0, totalSteps: 4 })).toBe(1);
    expect(() => learningRateAt(0, { peak: 1, warmupSteps: 5, totalSteps: 4 })).toThrow(/warmupSteps/);
  });
});

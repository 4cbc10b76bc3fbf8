/** Issue 23 item 14: numbers on the command line are plain decimals; `--epochs 0x10` is not 16. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseNumber, UsageError } from '../../src/cli/args.js';
import { shipped } from '../support/shipped.js';

describe('strict number parsing', () => {
  it('reads plain decimals and exponents, and nothing Number() would also guess at', () => {
    const read = (t: string) => parseNumber('train', 'epochs', t);
    expect(['16', '0.5', '-3', '+2', '1e-4', '2E3', '.5', '5.'].map(read)).toEqual([16, 0.5, -3, 2, 1e-4, 2000, 0.5, 5]);
    for (const bad of ['0x10', '0b11', '0o7', '', ' ', '1_000', 'Infinity', 'NaN', '1e', '--1', '1,5']) expect(() => read(bad), JSON.stringify(bad)).toThrow(UsageError);
  });

  it('the shipped CLI refuses `train --epochs 0x10` with a usage error naming the flag', () => {
    const r = spawnSync(process.execPath, [shipped().bin, 'train', '--dataset', 'cifar10', '--epochs', '0x10'], { encoding: 'utf8', env: { ...process.env, SIMCLR_BACKEND: 'cpu' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/train: --epochs expects a number, got "0x10"/);
  });
});

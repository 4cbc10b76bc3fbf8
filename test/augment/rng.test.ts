import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/engine/augment/rng.js';
import { chiSquareBound, chiSquareUniform, ksCritical, ksDistance, mean, uniformCdf, variance } from './stats.js';

/** xoshiro128** written independently with BigInt arithmetic, from the published algorithm. */
function* xoshiroBigInt(words: number[]): Generator<number> {
  const M = 0xffffffffn;
  const s = words.map(BigInt);
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  for (;;) {
    const result = rotl((s[1]! * 5n) & M, 7n) * 9n & M;
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    yield Number(result);
  }
}

describe('Rng (xoshiro128**)', () => {
  it('matches an independent BigInt implementation of xoshiro128** word for word', () => {
    for (const seed of [0, 1, 42, -7, 2 ** 40 + 3]) {
      const rng = Rng.fromSeed(seed);
      const ref = xoshiroBigInt(rng.state().words);
      for (let i = 0; i < 1000; i++) expect(rng.uint32()).toBe(ref.next().value);
    }
  });

  it('seeds: the same seed repeats, nearby and 2^32-apart seeds give unrelated streams', () => {
    const first = (seed: number) => Array.from({ length: 4 }, ((r) => () => r.uint32())(Rng.fromSeed(seed)));
    expect(first(123)).toEqual(first(123));
    const streams = [0, 1, 2, 2 ** 32, -1, Number.MAX_SAFE_INTEGER].map((s) => first(s).join(','));
    expect(new Set(streams).size).toBe(streams.length);
    expect(() => Rng.fromSeed(0.5)).toThrow(/safe integer/);
  });

  it('state() / fromState() resume the exact stream, through JSON', () => {
    const rng = Rng.fromSeed(9);
    for (let i = 0; i < 37; i++) rng.float();
    const resumed = Rng.fromState(JSON.parse(JSON.stringify(rng.state())));
    for (let i = 0; i < 100; i++) expect(resumed.uint32()).toBe(rng.uint32());
    const clone = rng.clone();
    expect(clone.normal()).toBe(rng.normal());
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', words: [0, 0, 0, 0] })).toThrow(/all-zero/);
    expect(() => Rng.fromState({ algorithm: 'mt19937', words: [1, 2, 3, 4] } as never)).toThrow(/expected \{algorithm: "xoshiro128\*\*"/);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 2 ** 32] })).toThrow(/unsigned 32-bit/);
  });

  it('float, int, normal and permutation have the right distributions', () => {
    const rng = Rng.fromSeed(2024);
    const n = 50_000;
    const u = Array.from({ length: n }, () => rng.float());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(ksDistance(u, uniformCdf(0, 1))).toBeLessThan(ksCritical(n));
    // lag-1 correlation near 0
    const m = mean(u);
    let c = 0;
    for (let i = 1; i < n; i++) c += (u[i]! - m) * (u[i - 1]! - m);
    expect(Math.abs(c / (n - 1) / variance(u))).toBeLessThan(4.5 / Math.sqrt(n));

    for (const k of [3, 7, 10]) {
      const counts = new Array<number>(k).fill(0);
      for (let i = 0; i < 20_000; i++) counts[rng.int(k)]!++;
      expect(chiSquareUniform(counts)).toBeLessThan(chiSquareBound(k - 1));
    }

    const z = Array.from({ length: n }, () => rng.normal());
    expect(Math.abs(mean(z))).toBeLessThan(4.5 / Math.sqrt(n));
    expect(Math.abs(variance(z) - 1)).toBeLessThan(4.5 * Math.sqrt(2 / n));
    const field = Array.from(rng.fillNormal(new Float32Array(n + 1), 0.5, 2));
    expect(Math.abs(mean(field) - 0.5)).toBeLessThan((4.5 * 2) / Math.sqrt(n));
    expect(Math.abs(Math.sqrt(variance(field)) / 2 - 1)).toBeLessThan(0.02);

    const perms = new Map<string, number>();
    for (let i = 0; i < 24_000; i++) {
      const key = rng.permutation(4).join('');
      perms.set(key, (perms.get(key) ?? 0) + 1);
    }
    expect(perms.size).toBe(24);
    expect(chiSquareUniform([...perms.values()])).toBeLessThan(chiSquareBound(23));
  });
});

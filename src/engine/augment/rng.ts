/**
 * The seeded random stream of the augmentation engine: xoshiro128** (Blackman
 * and Vigna, 2018), 128 bits of state in four 32-bit words, seeded through
 * splitmix32 so that nearby seeds give unrelated streams. It is fast in JS
 * (only 32-bit integer ops) and its state is four numbers, so a checkpoint
 * stores it and a resumed run continues the exact stream (`state()` /
 * `Rng.fromState()`).
 *
 * Every random parameter of an augmentation (crop boxes, flips, jitter
 * factors and their order, sigmas, angles, noise) is drawn here in JS, never
 * with tf.random*, so the stream and hence the pixels do not depend on the
 * backend's own generator.
 */

export const RNG_ALGORITHM = 'xoshiro128**';

/** Serialisable generator state (JSON-safe). */
export interface RngState {
  algorithm: typeof RNG_ALGORITHM;
  /** four unsigned 32-bit words, not all zero */
  words: [number, number, number, number];
}

const TWO_POW_32 = 4294967296;

/** One step of splitmix32 from state `x`: returns [next state, output]. */
function splitmix32(x: number): [number, number] {
  const next = (x + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [next, z >>> 0];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(words: readonly number[]) {
    this.s0 = words[0]! | 0;
    this.s1 = words[1]! | 0;
    this.s2 = words[2]! | 0;
    this.s3 = words[3]! | 0;
  }

  /** A generator for an integer seed (any safe integer, negative included). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const lo = seed % TWO_POW_32 >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    // Fold the high word in through one splitmix round so seeds 2^32 apart differ.
    let x = (lo ^ splitmix32(hi ^ 0x5851f42d)[1]) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(x);
      x = next;
      words.push(out);
    }
    if (!words.some((w) => w !== 0)) words[0] = 1;
    return new Rng(words);
  }

  /** Resume a stream exactly where `state()` left it. */
  static fromState(state: RngState): Rng {
    const words = state?.words;
    if (state?.algorithm !== RNG_ALGORITHM || !Array.isArray(words) || words.length !== 4) {
      throw new Error(`rng state: expected {algorithm: "${RNG_ALGORITHM}", words: [4 uint32]}, got ${JSON.stringify(state)}`);
    }
    if (!words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) throw new Error(`rng state: words must be unsigned 32-bit integers, got ${JSON.stringify(words)}`);
    if (words.every((w) => w === 0)) throw new Error('rng state: all-zero words are not a valid xoshiro128** state');
    return new Rng(words);
  }

  state(): RngState {
    return { algorithm: RNG_ALGORITHM, words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  clone(): Rng {
    return new Rng([this.s0, this.s1, this.s2, this.s3]);
  }

  /** Next unsigned 32-bit integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n), unbiased (rejection of the short last bucket). */
  int(n: number): number {
    if (!(n >= 1 && n <= TWO_POW_32 && Number.isInteger(n))) throw new RangeError(`int(n) needs an integer 1 <= n <= 2^32, got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return x % n;
  }

  /** True with probability p (always one draw, so the stream layout does not depend on p). */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Box-Muller; two draws, no cached spare so the state stays four words). */
  normal(): number {
    const u1 = 1 - this.float(); // (0, 1]
    const u2 = this.float();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** Fill `out` with standard normals, using both Box-Muller outputs (for noise fields). */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    let i = 0;
    for (; i + 1 < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.float()));
      const a = 2 * Math.PI * this.float();
      out[i] = mean + std * r * Math.cos(a);
      out[i + 1] = mean + std * r * Math.sin(a);
    }
    if (i < out.length) out[i] = mean + std * this.normal();
    return out;
  }
}

/**
 * Seeded parameter initialisation, in plain JavaScript so that the same seed
 * gives the same bits on every backend (tensorflow, wasm, cpu) and tfjs version.
 * Each parameter draws from its own stream, derived from (seed, name): adding a
 * head or reordering creation never changes the encoder's initial weights.
 */
import { seededRandom } from '../data/util.js';

/** 32-bit FNV-1a of a string, mixed with the seed. */
function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // one more avalanche so nearby seeds give unrelated streams
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform [0, 1) stream (mulberry32) of its own for each (seed, variable name). */
export function uniformStream(seed: number, name: string): () => number {
  return seededRandom(hashSeed(seed, name));
}

/** n draws from N(0, std^2) by Box-Muller, both outputs of each pair used. */
export function normalArray(n: number, std: number, seed: number, name: string): Float32Array {
  const u = uniformStream(seed, name);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - u(); // (0, 1]: log stays finite
    const u2 = u();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

export type InitSpec = { kind: 'he_normal'; fan: number } | { kind: 'zeros' } | { kind: 'ones' };

/** Values for one parameter; He normal: std = sqrt(2 / fan). */
export function initialValues(init: InitSpec, size: number, seed: number, name: string): Float32Array {
  switch (init.kind) {
    case 'he_normal':
      return normalArray(size, Math.sqrt(2 / init.fan), seed, name);
    case 'zeros':
      return new Float32Array(size);
    case 'ones':
      return new Float32Array(size).fill(1);
  }
}

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toYaml } from '../../src/engine/interchange/yaml.js';
import { PIPELINE_PRESETS } from '../../src/shared/pipeline.js';
import { findPeer } from '../support/peer-python.js';

const peer = findPeer(['yaml']);

const SAMPLE = {
  run: { id: null, name: 'a "quoted" name: with colon # and hash' },
  numbers: { tiny: 1e-7, small: 0.000001, big: 12345678901, neg: -2.5e-8, int: 3 },
  flags: { on: true, off: false },
  empty: { list: [], map: {} },
  pipeline: PIPELINE_PRESETS['All ops'],
};

describe('config.yaml writer', () => {
  it('writes block mappings, inline scalar lists and exponents with a dot', () => {
    const y = toYaml({ a: { b: [1, 2], c: 1e-7 }, ops: [{ op: 'x', params: { k: [0.5, 1] } }] });
    expect(y).toBe('a:\n  b: [1, 2]\n  c: 1.0e-7\nops:\n  - op: "x"\n    params:\n      k: [0.5, 1]\n');
  });

  it.skipIf(!peer.python)(`PyYAML reads back exactly the data${peer.python ? '' : ` (skipped: ${peer.reason})`}`, () => {
    const out = execFileSync(peer.python!, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: toYaml(SAMPLE), encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(SAMPLE)));
  });
});

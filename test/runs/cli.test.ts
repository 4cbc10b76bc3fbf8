import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRuns } from './fixtures.js';

let dataRoot: string;
let ids: string[];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/simclr-workbench.js', 'runs', ...args, '--data-root', dataRoot], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  ({ dataRoot, ids } = await makeRuns([{ seed: 3 }, { seed: 4, temperature: 0.1 }]));
});

afterAll(() => fs.rmSync(dataRoot, { recursive: true, force: true }));

describe('simclr-workbench runs (built CLI)', () => {
  it('lists runs as a table and as JSON', () => {
    const table = cli('list');
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS/);
    for (const id of ids) expect(table.out).toContain(id);
    const json = JSON.parse(cli('list', '--json').out);
    expect(json.runs.map((r: { id: string }) => r.id).sort()).toEqual([...ids].sort());
  });

  it('tags, compares and shows', () => {
    expect(cli('tag', ids[0]!, '+best').code).toBe(0);
    expect(JSON.parse(cli('list', '--tag', 'best', '--json').out).runs.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    const cmp = cli('compare', ids[0]!, ids[1]!);
    expect(cmp.code).toBe(0);
    expect(cmp.out).toMatch(new RegExp(`temperature: ${ids[0]}=0.5\\s+${ids[1]}=0.1`));
    expect(cmp.out).toMatch(/seed: /);
    const show = cli('show', ids[1]!);
    expect(show.out).toMatch(/temperature 0.1, seed 4/);
  });

  it('reports usage errors with exit code 2 and unknown runs with 1', () => {
    const bad = cli('list', '--sort', 'colour');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--sort must be one of startedAt/);
    expect(cli('frobnicate').code).toBe(2);
    const missing = cli('show', 'no-such-run');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no run "no-such-run"/);
  });
});

#!/usr/bin/env node
// `npm run bench [-- NAME ...]`: run the benchmarks in bench/ (all, or the named ones)
// one after another. Each prints one JSON line per measurement with its ratio
// against a peer measured in the same run; this collects them in
// bench/results/<name>.jsonl as well.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const benchDir = path.resolve('bench');
const all = fs
  .readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
fs.mkdirSync(path.join(benchDir, 'results'), { recursive: true });
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n== bench/${name}.ts`);
  const r = spawnSync('npx', ['tsx', path.join('bench', `${name}.ts`)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(r.stdout ?? '');
  const lines = (r.stdout ?? '').split('\n').filter((l) => l.trim().startsWith('{'));
  fs.writeFileSync(path.join(benchDir, 'results', `${name}.jsonl`), lines.join('\n') + (lines.length ? '\n' : ''));
  if (r.status !== 0) {
    console.error(`bench/${name}.ts exited with ${r.status}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);

import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { readRunRecord } from './summary.js';
import { checkRunId } from './paths.js';

/**
 * A run exported as one .tar.gz whose single top-level folder is the run id.
 * Checkpoints other than the latest can be left out to keep archives small.
 */
export async function exportRunArchive(runDir: string, file: string, opts: { allCheckpoints?: boolean } = {}): Promise<{ bytes: number }> {
  readRunRecord(runDir); // refuse to export something that is not a run
  const id = path.basename(runDir);
  const parent = path.dirname(runDir);
  const keep = opts.allCheckpoints ? null : latestCheckpointName(runDir);
  const tmp = `${file}.${process.pid}.partial`;
  try {
    await tar.c(
      {
        gzip: true,
        file: tmp,
        cwd: parent,
        portable: true,
        filter: (p) => {
          const rel = p.split('/').slice(1);
          if (rel[0] !== 'checkpoints' || rel.length < 2 || keep === null) return true;
          return rel[1] === keep || rel[1] === 'latest' || rel[1] === 'latest.json';
        },
      },
      [id],
    );
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { bytes: fs.statSync(file).size };
}

function latestCheckpointName(runDir: string): string | null {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return null;
  const names = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+$/.test(n))
    .sort();
  return names.at(-1) ?? null;
}

/**
 * Unpack an exported run into runsRoot. It is extracted into a hidden temp
 * folder, checked (one top folder holding a valid run.json), then renamed into
 * place; an id that already exists gets a "-imported-N" suffix. Nothing
 * outside runsRoot is written: tar drops absolute and '..' paths.
 */
export async function importRunArchive(file: string, runsRoot: string): Promise<string> {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  fs.mkdirSync(runsRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(runsRoot, '.import-'));
  try {
    try {
      await tar.x({ file, cwd: staging, strict: true, preservePaths: false });
    } catch (err) {
      const msg = (err as Error).message;
      if (/path contains '\.\.'|absolute path/i.test(msg)) throw new Error(`${file}: the run archive has a member with an unsafe path (${msg}); refused`);
      throw new Error(`${file}: not a readable .tar.gz run archive (${msg})`);
    }
    const tops = fs.readdirSync(staging);
    if (tops.length !== 1 || !fs.statSync(path.join(staging, tops[0]!)).isDirectory()) {
      throw new Error(`${file}: a run archive holds exactly one folder (the run id); found ${tops.length ? tops.join(', ') : 'nothing'}`);
    }
    const id = checkRunId(tops[0]!);
    const extracted = path.join(staging, id);
    try {
      readRunRecord(extracted);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message.replace(extracted, id)}`);
    }
    let target = id;
    for (let n = 1; fs.existsSync(path.join(runsRoot, target)); n++) target = `${id}-imported-${n}`;
    fs.renameSync(extracted, path.join(runsRoot, target));
    return target;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

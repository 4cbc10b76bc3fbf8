import fs from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../../shared/runs.js';
import { readJsonFile, writeJsonAtomic } from '../fs/atomic.js';
import { honestStatus } from './liveness.js';
import { EVAL_FILE, fileStamp, METRICS_FILE, NOTES_FILE, readRunRecord, RUN_FILE, summarizeRun } from './summary.js';

/**
 * runs/.index.json caches each run's summary keyed by the size+mtime of the
 * files it was built from. The directories are the truth: an entry is reused
 * only while its stamps match, missing directories drop out, new ones are
 * read. Listing thousands of runs then costs a few stats per run.
 */
const INDEX_FILE = '.index.json';
const INDEX_VERSION = 1;

interface IndexEntry {
  stamp: string;
  summary: RunSummary;
}

interface IndexShape {
  version: number;
  entries: Record<string, IndexEntry>;
}

function stampOf(dir: string): string {
  return [RUN_FILE, NOTES_FILE, METRICS_FILE, EVAL_FILE].map((f) => fileStamp(path.join(dir, f))).join('|');
}

function loadIndex(file: string): IndexShape {
  try {
    const raw = readJsonFile(file) as IndexShape | null;
    if (raw && raw.version === INDEX_VERSION && raw.entries && typeof raw.entries === 'object') return raw;
  } catch {
    // a corrupt index is rebuilt from the directories
  }
  return { version: INDEX_VERSION, entries: {} };
}

export interface ScanResult {
  summaries: RunSummary[];
  /** directories under runs/ that are not readable runs, with the reason */
  skipped: { id: string; reason: string }[];
}

export function scanRuns(runsRoot: string): ScanResult {
  if (!fs.existsSync(runsRoot)) return { summaries: [], skipped: [] };
  const indexFile = path.join(runsRoot, INDEX_FILE);
  const index = loadIndex(indexFile);
  const next: IndexShape = { version: INDEX_VERSION, entries: {} };
  const summaries: RunSummary[] = [];
  const skipped: ScanResult['skipped'] = [];
  let changed = false;
  for (const ent of fs.readdirSync(runsRoot, { withFileTypes: true })) {
    // Dot-directories are in-progress imports and temp checkpoints.
    if (!ent.isDirectory() || ent.name.startsWith('.')) continue;
    const dir = path.join(runsRoot, ent.name);
    const stamp = stampOf(dir);
    const cached = index.entries[ent.name];
    let summary: RunSummary;
    if (cached && cached.stamp === stamp) {
      summary = cached.summary;
      if (summary.status === 'running') {
        // Liveness is never cached: the process may have died since.
        try {
          summary = { ...summary, status: honestStatus(readRunRecord(dir), path.join(dir, METRICS_FILE)) };
        } catch {
          // fall through with the cached summary
        }
      }
    } else {
      try {
        summary = summarizeRun(dir);
      } catch (err) {
        skipped.push({ id: ent.name, reason: (err as Error).message });
        continue;
      }
      changed = true;
    }
    next.entries[ent.name] = { stamp, summary };
    summaries.push(summary);
  }
  if (changed || Object.keys(index.entries).length !== Object.keys(next.entries).length) {
    try {
      writeJsonAtomic(indexFile, next);
    } catch {
      // read-only data root: listing still works, just without the cache
    }
  }
  return { summaries, skipped };
}

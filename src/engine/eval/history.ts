/**
 * The evaluation history of a run: one JSON file per result under
 * <run>/evals/, written beside eval.json and never rewritten. A run evaluated
 * before the history existed gets its eval.json results copied in once
 * (limits unknown), so its history starts with what it had.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../fs/atomic.js';
import type { EvalReport, ProtocolResult } from '../../shared/eval.js';
import { evalHistoryEntrySchema, resultKey, type EvalHistory, type EvalHistoryEntry, type EvalLimits } from '../../shared/eval-history.js';

export const EVALS_DIR = 'evals';

function entryId(r: ProtocolResult, taken: Set<string>): string {
  const base = `${r.finishedAt.replace(/[^0-9A-Za-z]/g, '')}-${r.protocol}-${r.dataset.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

function listIds(dir: string): Set<string> {
  if (!fs.existsSync(dir)) return new Set();
  return new Set(fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)));
}

/** Append results to the history (one file each); returns the new entries. */
export function appendHistory(runDir: string, results: ProtocolResult[], limits: EvalLimits | null): EvalHistoryEntry[] {
  const dir = path.join(runDir, EVALS_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const taken = listIds(dir);
  const out: EvalHistoryEntry[] = [];
  for (const result of results) {
    const id = entryId(result, taken);
    taken.add(id);
    const entry: EvalHistoryEntry = { id, result, limits };
    writeJsonAtomic(path.join(dir, `${id}.json`), entry);
    out.push(entry);
  }
  return out;
}

/** Copy eval.json's results into a run that has no history yet (runs evaluated before it existed). */
export function migrateHistory(runDir: string, report: EvalReport | null): void {
  if (!report || fs.existsSync(path.join(runDir, EVALS_DIR))) return;
  appendHistory(runDir, report.results, null);
}

/** Every record, oldest first; unreadable files are skipped and named in `problems`. */
export function readHistory(runDir: string): { entries: EvalHistoryEntry[]; problems: string[] } {
  const dir = path.join(runDir, EVALS_DIR);
  const entries: EvalHistoryEntry[] = [];
  const problems: string[] = [];
  for (const id of [...listIds(dir)].sort()) {
    const file = path.join(dir, `${id}.json`);
    let raw: unknown;
    try {
      raw = readJsonFile(file);
    } catch (err) {
      problems.push(`${file}: not an evaluation record (${(err as Error).message})`);
      continue;
    }
    const parsed = evalHistoryEntrySchema.safeParse(raw);
    if (parsed.success) entries.push(parsed.data);
    else problems.push(`${file}: not an evaluation record (${parsed.error.issues[0]?.message ?? 'unreadable'})`);
  }
  entries.sort((a, b) => a.result.finishedAt.localeCompare(b.result.finishedAt) || a.id.localeCompare(b.id));
  return { entries, problems };
}

/** The history with the entries eval.json shows marked (same protocol/dataset/labels and finish time). */
export function historyWithSelection(runDir: string, report: EvalReport | null): EvalHistory {
  migrateHistory(runDir, report);
  const { entries } = readHistory(runDir);
  const shown = new Set((report?.results ?? []).map((r) => `${resultKey(r)}|${r.finishedAt}`));
  return { entries, selected: entries.filter((e) => shown.has(`${resultKey(e.result)}|${e.result.finishedAt}`)).map((e) => e.id) };
}

/** The entry with this id, or a clear error naming the run's history folder. */
export function historyEntry(runDir: string, id: string): EvalHistoryEntry {
  const found = readHistory(runDir).entries.find((e) => e.id === id);
  if (!found) throw new Error(`no evaluation record "${id}" in ${path.join(runDir, EVALS_DIR)}`);
  return found;
}

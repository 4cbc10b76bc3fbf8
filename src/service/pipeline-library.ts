/**
 * Saved augmentation pipelines, kept in the data root (<dataRoot>/pipelines/
 * <name>.json, one pipeline per file), so a pipeline designed in the browser
 * is there for the Train form, for another tab after a restart, and for the
 * CLI (`train --pipeline NAME`). Names are file-safe and never a preset's
 * name, so "SimCLR CIFAR" always means the preset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parsePipeline, PIPELINE_PRESET_NAMES, type Pipeline } from '../shared/pipeline.js';
import { ApiCallError } from '../engine/jobs/errors.js';

export const PIPELINES_DIR = 'pipelines';
export const PIPELINE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

export interface SavedPipeline {
  name: string;
  pipeline: Pipeline;
  savedAt: string;
}

function dir(dataRoot: string): string {
  return path.join(dataRoot, PIPELINES_DIR);
}

function fileOf(dataRoot: string, name: string): string {
  return path.join(dir(dataRoot), `${name}.json`);
}

/** A name a pipeline can be saved under, or an error saying why not. */
export function checkPipelineName(name: string, field = 'name'): string {
  const n = name.trim();
  if (!PIPELINE_NAME_PATTERN.test(n) || n.endsWith('.')) {
    throw new ApiCallError('bad_request', `${field}: "${name}" is not a usable pipeline name: 1-64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit`);
  }
  if ((PIPELINE_PRESET_NAMES as string[]).some((p) => p.toLowerCase() === n.toLowerCase())) {
    throw new ApiCallError('bad_request', `${field}: "${n}" is a preset's name; save under another name (presets cannot be replaced)`);
  }
  return n;
}

function read(dataRoot: string, name: string): SavedPipeline | null {
  const file = fileOf(dataRoot, name);
  if (!fs.existsSync(file)) return null;
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  return { name, pipeline: parsePipeline(raw, file), savedAt: fs.statSync(file).mtime.toISOString() };
}

/** Every saved pipeline, by name; a damaged file is reported, not thrown. */
export function listPipelines(dataRoot: string): { pipelines: SavedPipeline[]; problems: string[] } {
  const d = dir(dataRoot);
  if (!fs.existsSync(d)) return { pipelines: [], problems: [] };
  const pipelines: SavedPipeline[] = [];
  const problems: string[] = [];
  for (const f of fs.readdirSync(d).filter((x) => x.endsWith('.json')).sort((a, b) => a.localeCompare(b))) {
    try {
      const p = read(dataRoot, f.slice(0, -5));
      if (p) pipelines.push(p);
    } catch (err) {
      problems.push(`${path.join(d, f)}: ${(err as Error).message}`);
    }
  }
  return { pipelines, problems };
}

/** The saved pipeline called `name`, or null when there is none. */
export function findPipeline(dataRoot: string, name: string): Pipeline | null {
  if (!PIPELINE_NAME_PATTERN.test(name)) return null;
  return read(dataRoot, name)?.pipeline ?? null;
}

/** Save (validated; written to a temp file and renamed, so a reader never sees half a file). */
export function savePipeline(dataRoot: string, name: string, pipeline: unknown, overwrite: boolean): SavedPipeline {
  const n = checkPipelineName(name);
  const parsed = parsePipeline(pipeline, `pipeline "${n}"`);
  const file = fileOf(dataRoot, n);
  if (!overwrite && fs.existsSync(file)) throw new ApiCallError('conflict', `a pipeline named "${n}" is already saved; choose another name or replace it`);
  fs.mkdirSync(dir(dataRoot), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ ...parsed, name: n }, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return read(dataRoot, n)!;
}

export function renamePipeline(dataRoot: string, from: string, to: string): SavedPipeline {
  const src = fileOf(dataRoot, from);
  if (!PIPELINE_NAME_PATTERN.test(from) || !fs.existsSync(src)) throw new ApiCallError('not_found', `no saved pipeline named "${from}"`);
  const n = checkPipelineName(to, 'to');
  const dst = fileOf(dataRoot, n);
  if (fs.existsSync(dst) && n !== from) throw new ApiCallError('conflict', `a pipeline named "${n}" is already saved; delete or rename it first`);
  const saved = read(dataRoot, from)!;
  savePipeline(dataRoot, n, { ...saved.pipeline, name: n }, true);
  if (n !== from) fs.rmSync(src);
  return read(dataRoot, n)!;
}

export function deletePipeline(dataRoot: string, name: string): void {
  const file = fileOf(dataRoot, name);
  if (!PIPELINE_NAME_PATTERN.test(name) || !fs.existsSync(file)) throw new ApiCallError('not_found', `no saved pipeline named "${name}"`);
  fs.rmSync(file);
}

/**
 * A job or CLI config's pipeline: a saved pipeline's name becomes the
 * pipeline itself (so run.json keeps what was trained with); presets, paths
 * and objects pass through.
 */
export function resolveSavedPipeline(dataRoot: string, spec: unknown): unknown {
  if (typeof spec !== 'string' || (PIPELINE_PRESET_NAMES as string[]).includes(spec)) return spec;
  return findPipeline(dataRoot, spec) ?? spec;
}

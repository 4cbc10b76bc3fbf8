/**
 * The results of an exported Lightning project as a run: the final
 * encoder.safetensors (+ sidecar) through importWeights, and the CSV metrics
 * Lightning logged turned into metrics.jsonl step and epoch records, so the
 * loss curve shows in Runs and Compare beside local runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MetricRecord } from '../../shared/run.js';
import { importWeights, type ImportWeightsResult } from './import-weights.js';

export const LIGHTNING_WEIGHTS = 'encoder.safetensors';

/** Parse a CSV with a header row (Lightning's CSVLogger: plain numbers, no quoting). */
export function parseCsv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!head) return [];
  const cols = head.split(',');
  return rows.map((line) => Object.fromEntries(line.split(',').map((v, i) => [cols[i] ?? `col${i}`, v])));
}

const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

/**
 * Step and epoch records from Lightning's metrics.csv. Step rows carry
 * train_loss_step (logged before the optimiser step `step`, so globalStep =
 * step + 1), epoch rows train_loss_epoch.
 */
export function lightningMetrics(rows: Record<string, string>[], stepsPerEpoch: number, time: string): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (const r of rows) {
    const epoch = (num(r.epoch) ?? 0) + 1;
    const step = num(r.step);
    const loss = num(r.train_loss_step) ?? num(r.train_loss);
    const acc = num(r.contrastive_acc_step) ?? num(r.contrastive_acc) ?? 0;
    const epochLoss = num(r.train_loss_epoch);
    if (loss !== null && step !== null) {
      const globalStep = step + 1;
      out.push({ type: 'step', epoch, step: globalStep - (epoch - 1) * stepsPerEpoch, globalStep, loss, lr: num(r.lr) ?? 0, contrastiveAcc: acc, imagesPerSec: 0, time });
    } else if (epochLoss !== null && step !== null) {
      out.push({ type: 'epoch', epoch, globalStep: step + 1, meanLoss: epochLoss, meanContrastiveAcc: num(r.contrastive_acc_epoch) ?? 0, seconds: 0, imagesPerSec: 0, time });
    }
  }
  // CSVLogger writes the lr of a step on its own row: fold it into the step record
  const lrByStep = new Map<number, number>();
  for (const r of rows) if (num(r.lr) !== null && num(r.step) !== null) lrByStep.set(num(r.step)! + 1, num(r.lr)!);
  for (const m of out) if (m.type === 'step' && m.lr === 0 && lrByStep.has(m.globalStep)) m.lr = lrByStep.get(m.globalStep)!;
  return out;
}

function findFile(dir: string, name: string, depth = 4): string[] {
  if (depth < 0 || !fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) out.push(p);
    else if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'simclr_recipe') out.push(...findFile(p, name, depth - 1));
  }
  return out;
}

const newest = (files: string[]) => files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0] ?? null;

export interface ImportLightningResult extends ImportWeightsResult {
  weights: string;
  metricsFile: string | null;
  steps: number;
  epochs: number;
}

/** `dir`: train.py's --out folder, or the project folder holding it. */
export async function importLightning(dir: string, opts: { dataset?: string; name?: string; dataRoot?: string } = {}): Promise<ImportLightningResult> {
  const weights = newest(findFile(dir, LIGHTNING_WEIGHTS));
  if (!weights) throw new Error(`${dir}: no ${LIGHTNING_WEIGHTS} found (train.py writes it into its --out folder when training ends)`);
  const metricsFile = newest(findFile(path.dirname(weights), 'metrics.csv'));
  let metrics: MetricRecord[] = [];
  if (metricsFile) {
    const spec = JSON.parse(fs.readFileSync(weights.replace(/\.safetensors$/, '.json'), 'utf8')) as { checkpoint?: { epoch: number; globalStep: number } };
    const rows = parseCsv(fs.readFileSync(metricsFile, 'utf8'));
    const ck = spec.checkpoint;
    const stepsPerEpoch = ck && ck.epoch > 0 ? Math.round(ck.globalStep / ck.epoch) : Number.MAX_SAFE_INTEGER;
    metrics = lightningMetrics(rows, stepsPerEpoch, fs.statSync(metricsFile).mtime.toISOString());
  }
  const r = await importWeights(weights, { ...opts, metrics, source: 'import-lightning' });
  return { ...r, weights, metricsFile, steps: metrics.filter((m) => m.type === 'step').length, epochs: metrics.filter((m) => m.type === 'epoch').length };
}

import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createModel, type Model } from '../models/index.js';
import type { Pipeline } from '../../shared/pipeline.js';
import type { RunRecord } from '../../shared/run.js';
import { parseTrainConfig } from '../../shared/train-config.js';
import { checkpointName, latestCheckpoint, listCheckpoints, readCheckpoint } from './checkpoint.js';
import { modelConfigOf } from './model-config.js';
import { CHECKPOINTS_DIR, readRun } from './run-dir.js';

export interface LoadEncoderOptions {
  /**
   * Which weights: 'latest' (default), an epoch number, a checkpoint directory
   * name ("epoch-0003") or path, or 'init' for the run's random initialisation
   * (same config and seed: the random-init baseline of exactly this encoder).
   */
  checkpoint?: 'latest' | 'init' | number | string;
}

export interface LoadedEncoder {
  /** the full model (encoder + projection head) with the checkpoint's weights, BN running stats included */
  model: Model;
  /** the run's augmentation pipeline: use evalBatch(set, indices, pipeline) for its input transform */
  pipeline: Pipeline;
  record: RunRecord;
  /** the checkpoint loaded; null for 'init' */
  checkpoint: { dir: string; epoch: number; globalStep: number } | null;
}

function resolveCheckpointDir(runDir: string, which: LoadEncoderOptions['checkpoint']): string {
  const ckRoot = path.join(runDir, CHECKPOINTS_DIR);
  const available = () => listCheckpoints(ckRoot).join(', ') || 'none';
  if (which === undefined || which === 'latest') {
    const dir = latestCheckpoint(ckRoot);
    if (!dir) throw new Error(`${runDir}: no complete checkpoint yet (a run writes one at the end of each epoch)`);
    return dir;
  }
  const dir =
    typeof which === 'number' ? path.join(ckRoot, checkpointName(which)) : path.isAbsolute(which) || which.includes(path.sep) ? path.resolve(which) : path.join(ckRoot, which);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw new Error(`${runDir}: no checkpoint "${String(which)}" (available: ${available()})`);
  return dir;
}

/**
 * The encoder of a run, ready for evaluation or embedding: call
 * `model.encode(evalBatch(set, indices, pipeline), false)` for h. The backend
 * must be initialised (initBackend) first; the caller disposes the model.
 */
export function loadEncoder(runDir: string, opts: LoadEncoderOptions = {}): LoadedEncoder {
  const record = readRun(runDir);
  const cfg = parseTrainConfig(record.config, path.join(runDir, 'run.json'));
  const pipeline = record.pipeline as Pipeline;
  const model = createModel(modelConfigOf(cfg, pipeline.outputSize), cfg.seed);
  if (opts.checkpoint === 'init') return { model, pipeline, record, checkpoint: null };
  try {
    const ck = readCheckpoint(resolveCheckpointDir(runDir, opts.checkpoint));
    const weights: Record<string, tf.Tensor> = {};
    try {
      for (const [key, v] of ck.values) if (v.group === 'model') weights[key.slice('model/'.length)] = tf.tensor(v.data, v.shape, v.dtype);
      model.setWeights(weights);
    } finally {
      tf.dispose(Object.values(weights));
    }
    return { model, pipeline, record, checkpoint: { dir: ck.dir, epoch: ck.manifest.epoch, globalStep: ck.manifest.globalStep } };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

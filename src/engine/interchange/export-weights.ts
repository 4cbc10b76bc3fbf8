/**
 * A run's encoder (and, on request, its projection head) as .safetensors with
 * torchvision names and layouts, plus the JSON sidecar (weights-spec.ts).
 * Reads the checkpoint files directly: no tensors, no backend.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Pipeline } from '../../shared/pipeline.js';
import { parseTrainConfig } from '../../shared/train-config.js';
import { planModel } from '../models/spec.js';
import { checkpointName, latestCheckpoint, readCheckpoint } from '../train/checkpoint.js';
import { modelConfigOf } from '../train/model-config.js';
import { CHECKPOINTS_DIR, readRun } from '../train/run-dir.js';
import { encodeSafetensors, type TensorToWrite } from './safetensors.js';
import { batchNormPrefixes, torchMapping, torchShape, toTorchLayout } from './torch-names.js';
import { sidecarPath, WEIGHTS_FORMAT, WEIGHTS_LAYOUT, WEIGHTS_METADATA_KEY, WEIGHTS_VERSION, type WeightsSpec } from './weights-spec.js';

export interface ExportWeightsOptions {
  /** output file; default <run>/export/<run-id>.safetensors */
  out?: string;
  /** also write projector.* */
  projection?: boolean;
  /** 'latest' (default) or an epoch number */
  checkpoint?: 'latest' | number;
}

export interface ExportWeightsResult {
  file: string;
  sidecar: string;
  tensors: number;
  bytes: number;
  spec: WeightsSpec;
  /** things the reader of the file must know */
  warnings: string[];
}

/** Write next to the target and rename, so a reader never sees half a file. */
function writeAtomic(file: string, data: Buffer | string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function exportWeights(runDir: string, opts: ExportWeightsOptions = {}): ExportWeightsResult {
  const record = readRun(runDir);
  const cfg = parseTrainConfig(record.config, path.join(runDir, 'run.json'));
  const pipeline = record.pipeline as Pipeline;
  const model = modelConfigOf(cfg, pipeline.outputSize);
  const ckRoot = path.join(runDir, CHECKPOINTS_DIR);
  const ckDir = opts.checkpoint === undefined || opts.checkpoint === 'latest' ? latestCheckpoint(ckRoot) : path.join(ckRoot, checkpointName(opts.checkpoint));
  if (!ckDir || !fs.existsSync(ckDir)) throw new Error(`${runDir}: no checkpoint ${opts.checkpoint ?? ''} to export (a run writes one at the end of each epoch)`.replace('  ', ' '));
  const ck = readCheckpoint(ckDir);

  const mapping = torchMapping(planModel(model), { projection: opts.projection });
  const tensors: Record<string, TensorToWrite> = {};
  for (const m of mapping) {
    const v = ck.values.get(`model/${m.ours}`);
    if (!v) throw new Error(`${ckDir}: the checkpoint lacks ${m.ours}; was it written for this run's model?`);
    tensors[m.torch] = { dtype: 'F32', shape: torchShape(m.layout, v.shape), data: toTorchLayout(m.layout, v.shape, v.data) };
  }
  // PyTorch counts the training-mode forward passes of each BN; one per optimiser step here (2N views in one batch)
  for (const prefix of batchNormPrefixes(mapping)) tensors[`${prefix}.num_batches_tracked`] = { dtype: 'I64', shape: [], data: [ck.manifest.globalStep] };

  const spec: WeightsSpec = {
    format: WEIGHTS_FORMAT,
    version: WEIGHTS_VERSION,
    layout: WEIGHTS_LAYOUT,
    runId: record.id,
    runName: record.name,
    model,
    projection: !!opts.projection,
    inputSize: pipeline.outputSize,
    normalize: { mean: [...pipeline.normalize.mean], std: [...pipeline.normalize.std] },
    dataset: { id: record.dataset.id, name: record.dataset.name, path: record.dataset.path },
    checkpoint: { epoch: ck.manifest.epoch, globalStep: ck.manifest.globalStep },
    config: { ...record.config } as Record<string, unknown>,
    pipeline: pipeline as unknown as Record<string, unknown>,
  };
  const file = path.resolve(opts.out ?? path.join(runDir, 'export', `${record.id}.safetensors`));
  if (!file.toLowerCase().endsWith('.safetensors')) throw new Error(`--out ${file}: name the file *.safetensors (the sidecar goes beside it as *.json)`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const json = JSON.stringify(spec, null, 1);
  const buf = encodeSafetensors(tensors, { [WEIGHTS_METADATA_KEY]: json, format: 'pt' });
  const sidecar = sidecarPath(file);
  writeAtomic(file, buf);
  writeAtomic(sidecar, json + '\n');
  const warnings =
    model.padding === 'tf-same'
      ? [`${record.id} was trained with TensorFlow 'SAME' padding (model format 1): PyTorch's padding=k//2 ResNet computes a different h from these weights; retrain for a PyTorch-exact encoder`]
      : [];
  return { file, sidecar, tensors: Object.keys(tensors).length, bytes: buf.length, spec, warnings };
}

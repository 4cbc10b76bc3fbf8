/**
 * A run from weights made elsewhere: our own export, or a PyTorch state dict
 * with torchvision names (the usual module./backbone./encoder. prefixes
 * stripped). Everything is checked and converted before anything is written;
 * the run directory appears whole or not at all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseModelConfig, stemForImageSize, type ModelConfig } from '../../shared/model-config.js';
import { parsePipeline, pipelinePreset, type Pipeline } from '../../shared/pipeline.js';
import type { MetricRecord, RunRecord } from '../../shared/run.js';
import { parseTrainConfig, resolveLearningRate, trainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../shared/train-config.js';
import { openDataset } from '../data/open.js';
import { initialValues } from '../models/init.js';
import { planModel } from '../models/spec.js';
import { defaultDataRoot, runsDir } from '../runs/paths.js';
import { writeCheckpoint } from '../train/checkpoint.js';
import { modelConfigOf } from '../train/model-config.js';
import { collectVersions, createRun, datasetRecord, RunWriter } from '../train/run-dir.js';
import { runSplits } from '../train/simclr.js';
import { inferModelConfig } from './foreign-spec.js';
import { readSafetensors, type ReadTensor } from './safetensors.js';
import { fromTorchLayout, stripPrefixes, torchMapping, torchShape } from './torch-names.js';
import { parseWeightsSpec, sidecarPath, WEIGHTS_FORMAT, WEIGHTS_METADATA_KEY, type WeightsSpec } from './weights-spec.js';

export interface ImportWeightsOptions {
  /** a weights spec (our sidecar format) or a model config JSON file; default: the sidecar, the file's metadata, else read from the shapes */
  spec?: string;
  /** dataset the run is evaluated on (id, cached id or path); default: the spec's dataset path */
  dataset?: string;
  name?: string;
  dataRoot?: string;
  /** metrics.jsonl records to write (import-lightning's loss curve) */
  metrics?: MetricRecord[];
  /** how the run came in, recorded as its backend source */
  source?: string;
}

export interface ImportWeightsResult {
  runId: string;
  runDir: string;
  model: ModelConfig;
  /** where the model description came from */
  specFrom: 'option' | 'sidecar' | 'metadata' | 'shapes';
  /** the projection head: from the file, or initialised from the run's seed */
  projection: 'file' | 'initialised';
  /** tensors in the file that are not part of the encoder or our projection head */
  ignored: string[];
}

/** Weights spec from --spec, the sidecar or the metadata; null when the file carries none. */
function findSpec(file: string, metadata: Record<string, string>, opt?: string): { spec: Partial<WeightsSpec> & { model: unknown }; from: ImportWeightsResult['specFrom'] } | null {
  const fromJson = (text: string, where: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${where}: not JSON (${(err as Error).message})`);
    }
    if (raw && typeof raw === 'object' && (raw as { format?: unknown }).format === WEIGHTS_FORMAT) return parseWeightsSpec(raw, where);
    // a bare model config (arch, width, stem, projection...)
    return { model: parseModelConfig(raw, `${where}: model`) };
  };
  if (opt) {
    let text: string;
    try {
      text = fs.readFileSync(opt, 'utf8');
    } catch (err) {
      throw new Error(`--spec ${opt}: cannot read (${(err as Error).message})`);
    }
    return { spec: fromJson(text, opt), from: 'option' };
  }
  const side = sidecarPath(file);
  if (fs.existsSync(side)) return { spec: fromJson(fs.readFileSync(side, 'utf8'), side), from: 'sidecar' };
  const meta = metadata[WEIGHTS_METADATA_KEY];
  if (meta) return { spec: fromJson(meta, `${file} (__metadata__.${WEIGHTS_METADATA_KEY})`), from: 'metadata' };
  return null;
}

/** Our variable name -> values in our layout, checked against the plan; throws listing every problem. */
export function weightsFromTorch(file: string, tensors: Map<string, ReadTensor>, model: ModelConfig, seed: number) {
  const byName = new Map<string, ReadTensor & { original: string }>();
  const problems: string[] = [];
  for (const [original, t] of tensors) {
    const name = stripPrefixes(original);
    const prev = byName.get(name);
    if (prev) problems.push(`${original} and ${prev.original} both name ${name}`);
    else byName.set(name, { ...t, original });
  }
  const plan = planModel(model);
  const mapping = torchMapping(plan, { projection: true });
  const used = new Set<string>();
  const head = mapping.filter((m) => m.group === 'projection');
  const headPresent = head.filter((m) => byName.has(m.torch));
  if (headPresent.length && headPresent.length < head.length) {
    problems.push(`the projection head is incomplete: missing ${head.filter((m) => !byName.has(m.torch)).map((m) => m.torch).join(', ')}`);
  }
  const headFromFile = headPresent.length === head.length;
  const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const m of mapping) {
    const t = byName.get(m.torch);
    if (!t) {
      if (m.group === 'projection') continue;
      problems.push(`missing ${m.torch} (expected [${torchShape(m.layout, m.shape).join(', ')}])`);
      continue;
    }
    used.add(m.torch);
    const want = torchShape(m.layout, m.shape);
    if (!tf.util.arraysEqual(t.shape, want)) {
      problems.push(`${t.original} has shape [${t.shape.join(', ')}], the model expects [${want.join(', ')}]`);
      continue;
    }
    if (t.dtype.startsWith('I') || t.dtype === 'U8' || t.dtype === 'BOOL') problems.push(`${t.original} has dtype ${t.dtype}; weights must be floats`);
    weights[m.ours] = { shape: m.shape, data: fromTorchLayout(m.layout, m.shape, t.data) };
  }
  const ignored: string[] = [];
  for (const [name, t] of byName) {
    if (used.has(name) || name.endsWith('.num_batches_tracked')) continue;
    // an encoder-looking name the model does not have means the spec is wrong (depth, bottleneck), not an extra
    if (/^(conv1|bn1|layer\d+)\./.test(name)) problems.push(`unexpected ${t.original}: the model (${model.arch} x${model.width}) has no ${name}; check the spec`);
    else ignored.push(t.original);
  }
  if (problems.length) throw new Error(`${file}: cannot import these weights as ${model.arch} x${model.width} (${model.stem} stem):\n  ${problems.join('\n  ')}`);
  // the head the file lacks starts from the run's seeded initialisation, so embed (z) and fine-tuning have one
  for (const p of plan.params) {
    if (weights[p.name] || p.group === 'classifier') continue;
    weights[p.name] = { shape: p.shape, data: initialValues(p.init, p.shape.reduce((a, b) => a * b, 1), seed, p.name) };
  }
  return { weights, headFromFile, ignored };
}

/** The training-config model section that resolves to `model` (checked by the caller). */
function modelSection(model: ModelConfig): TrainConfigInput['model'] {
  return {
    preset: 'tiny',
    depth: Number(model.arch.replace('resnet', '')) as 18 | 34 | 50,
    width: model.width,
    projectionDim: model.projection.outDim,
    ...(model.projection.hiddenDim ? { projectionHiddenDim: model.projection.hiddenDim } : {}),
    projectionOutputBatchNorm: model.projection.outputBatchNorm,
    zeroInitResidual: model.zeroInitResidual,
    padding: model.padding,
  };
}

export async function importWeights(file: string, opts: ImportWeightsOptions = {}): Promise<ImportWeightsResult> {
  const abs = path.resolve(file);
  const st = readSafetensors(abs);
  const found = findSpec(abs, st.metadata, opts.spec);
  const spec: Partial<WeightsSpec> = found?.spec ?? {};
  const stripped = new Map([...st.tensors].map(([k, v]) => [stripPrefixes(k), v]));
  const model = parseModelConfig(found ? found.spec.model : inferModelConfig(stripped, abs), `${abs}: model`);
  if (model.inputChannels !== 3) throw new Error(`${abs}: the encoder takes ${model.inputChannels}-channel images; runs here feed RGB views (3 channels)`);

  const datasetRef = opts.dataset ?? spec.dataset?.path;
  if (!datasetRef) throw new Error(`${abs}: say which dataset the run belongs to with --dataset (cifar10, a cached id or a path): evaluation needs it`);
  const dataRoot = opts.dataRoot ?? defaultDataRoot();
  const ds = await openDataset(datasetRef, { dataRoot });
  const inputSize = spec.inputSize ?? ds.splits.train.width;
  if (stemForImageSize(inputSize) !== model.stem) {
    throw new Error(`${abs}: a ${model.stem}-stem encoder with ${inputSize}px inputs does not fit this app's rule (cifar stem up to 64 px, imagenet above); give the inputSize in --spec`);
  }
  const base = spec.pipeline ? parsePipeline(spec.pipeline, `${abs}: pipeline`) : pipelinePreset(model.stem === 'cifar' ? 'SimCLR CIFAR' : 'SimCLR ImageNet', { outputSize: inputSize });
  const pipeline: Pipeline = { ...base, outputSize: inputSize, ...(spec.normalize ? { normalize: spec.normalize } : {}) };

  const name = opts.name ?? spec.runName ?? path.basename(abs).replace(/\.safetensors$/i, '');
  // fields of the training config it was trained with (a Lightning export adds others, e.g. learningRate)
  const recorded = Object.fromEntries(Object.entries(spec.config ?? {}).filter(([k]) => k in trainConfigSchema.shape)) as Partial<TrainConfigInput>;
  const epochs = Math.max(1, spec.checkpoint?.epoch ?? 1, typeof recorded.epochs === 'number' ? recorded.epochs : 1);
  const cfg: TrainConfig = parseTrainConfig(
    {
      ...recorded,
      runName: name.slice(0, 80),
      dataset: datasetRef,
      trainLimit: null,
      model: modelSection(model),
      pipeline: pipeline as unknown as Record<string, unknown>,
      epochs,
      optimizer: { ...((recorded.optimizer as object) ?? {}), warmupEpochs: Math.min(epochs, (recorded.optimizer as { warmupEpochs?: number })?.warmupEpochs ?? 0) },
      batchSize: Math.min(typeof recorded.batchSize === 'number' ? recorded.batchSize : 128, ds.splits.train.count),
      outDir: null,
      dataRoot: null,
    },
    `${abs}: recorded config`,
  );
  const resolved = modelConfigOf(cfg, pipeline.outputSize);
  const same = (a: ModelConfig, b: ModelConfig) =>
    a.arch === b.arch && a.width === b.width && a.stem === b.stem && a.padding === b.padding && a.projection.outDim === b.projection.outDim && a.projection.outputBatchNorm === b.projection.outputBatchNorm && (a.projection.hiddenDim ?? null) === (b.projection.hiddenDim ?? null);
  if (!same(resolved, model)) {
    throw new Error(`${abs}: internal: the run config resolves to ${JSON.stringify(resolved)}, not the weights' ${JSON.stringify(model)}`);
  }
  const { weights, headFromFile, ignored } = weightsFromTorch(abs, st.tensors, resolved, cfg.seed);

  const { train, test } = runSplits(ds, cfg);
  const stepsPerEpoch = Math.max(1, Math.floor(train.count / cfg.batchSize));
  const epoch = spec.checkpoint?.epoch ?? 0;
  const globalStep = spec.checkpoint?.globalStep ?? 0;
  const plan = planModel(resolved);
  const now = new Date().toISOString();
  const runsRoot = runsDir(dataRoot);
  // The run appears as 'running' (its lock held) until its checkpoint is written, then 'completed'.
  const created = createRun(runsRoot, name, (id): RunRecord => ({
    format: 'simclr-workbench-run',
    version: 1,
    kind: 'simclr',
    id,
    name,
    status: 'running',
    config: cfg,
    pipeline,
    model: { ...resolved, depth: Number(resolved.arch.replace('resnet', '')), featureDim: plan.encoder.featureDim, imported: abs },
    learningRate: resolveLearningRate(cfg),
    stepsPerEpoch,
    dataset: datasetRecord(ds, ds.source ?? datasetRef, train, test),
    seed: cfg.seed,
    backend: { name: 'import', tfjsVersion: tf.version_core, source: opts.source ?? 'import-weights', device: 'none (weights trained elsewhere)', gpu: false, threads: 0, reason: `imported from ${abs}` },
    versions: collectVersions(),
    startedAt: now,
    endedAt: null,
    pid: process.pid,
    host: os.hostname(),
    epochsCompleted: epoch,
    globalStep,
    resumes: [],
    error: null,
  }));
  const dir = created.dir;
  const writer = new RunWriter(dir, created.record, created.lock);
  try {
    for (const m of opts.metrics ?? []) writer.metric(m);
    const named = plan.params.filter((p) => weights[p.name]).map((p) => ({ name: p.name, tensor: tf.tensor(weights[p.name]!.data, p.shape, 'float32') }));
    try {
      await writeCheckpoint(writer.checkpointsDir, { epoch, globalStep, state: { imported: abs, specFrom: found?.from ?? 'shapes', projection: headFromFile ? 'file' : 'initialised' } }, { model: named, optimizer: [] });
    } finally {
      tf.dispose(named.map((n) => n.tensor));
    }
    writer.finish('completed');
  } catch (err) {
    created.lock.release();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { runId: path.basename(dir), runDir: dir, model: resolved, specFrom: found?.from ?? 'shapes', projection: headFromFile ? 'file' : 'initialised', ignored };
}

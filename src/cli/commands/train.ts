import fs from 'node:fs';
import path from 'node:path';
import { defaultDataRoot } from '../../engine/fs/data-root.js';
import { trainSimclr, type TrainEvent } from '../../engine/train/index.js';
import { resolveSavedPipeline } from '../../service/pipeline-library.js';
import { DATA_ROOT_DEFAULT_TEXT } from '../../shared/data-root.js';
import { MODEL_PRESET_NAMES, modelPresetLabel } from '../../shared/model-config.js';
import { DEFAULT_WEIGHT_DECAY, defaultBaseLr, OPTIMIZERS, parseTrainConfig, TrainConfigError, TRAIN_BACKENDS, type TrainConfig, type TrainConfigInput } from '../../shared/train-config.js';
import { defineCommand, parse, parseNumber, UsageError } from '../args.js';
import { choices, flagTable, show } from '../help.js';
import { interruptible } from '../interrupt.js';
import { printJsonProgress, printResult } from '../output.js';

// Defaults and choices come from the schemas (src/shared), so this text cannot drift from them.
const D = parseTrainConfig({ dataset: 'cifar10' });
const HELP = `usage: simclr-workbench train [options]
       simclr-workbench train --resume RUN_DIR

Pretrain an encoder with SimCLR and write a run directory
(<out>/<run-id>/: run.json, metrics.jsonl, checkpoints/).

${flagTable([
  ['--config FILE', 'training config (JSON); flags below override its fields'],
  ['--dataset REF', 'cifar10 | cached id | folder or archive path (required without --config)'],
  ['--preset NAME', `model: ${MODEL_PRESET_NAMES.map((p) => `${p} = ${modelPresetLabel(p)}`).join(', ')}`, D.model.preset],
  ['--pipeline P', 'preset name, saved pipeline name (<data root>/pipelines) or pipeline JSON file', D.pipeline],
  ['--epochs N', '', D.epochs],
  ['--batch N', 'images per batch; the loss sees 2N views', D.batchSize],
  ['--optimizer NAME', choices(OPTIMIZERS), D.optimizer.name],
  ['--lr X', `base learning rate before scaling (default ${OPTIMIZERS.map((o) => `${o} ${show(defaultBaseLr(o, D.optimizer.lrScaling))}`).join(', ')} with ${D.optimizer.lrScaling})`],
  ['--lr-scaling RULE', 'linear (base x batch/256) | sqrt (base x sqrt(batch))', D.optimizer.lrScaling],
  ['--weight-decay X', `(default ${OPTIMIZERS.map((o) => `${o} ${show(DEFAULT_WEIGHT_DECAY[o])}`).join(', ')})`],
  ['--warmup EPOCHS', 'linear warmup length', D.optimizer.warmupEpochs],
  ['--temperature T', 'NT-Xent temperature', D.temperature],
  ['--seed N', '', D.seed],
  ['--backend NAME', choices(TRAIN_BACKENDS), D.backend],
  ['--train-limit N', 'use the first N training images'],
  ['--knn-every K', 'kNN monitor every K epochs, 0 = off', D.knn.every],
  ['--knn-k K', 'neighbours', D.knn.k],
  ['--knn-limit N', 'use the first N test images for the monitor'],
  ['--knn-at-start', 'also run the monitor before training (the random-init baseline)'],
  ['--name NAME', 'run name'],
  ['--out DIR', 'parent folder of the run directory', '<data root>/runs'],
  ['--resume RUN_DIR', 'continue an interrupted run from its latest checkpoint'],
  ['--json', 'the result as JSON on stdout, progress as JSON lines on stderr'],
])}

The data root is ${DATA_ROOT_DEFAULT_TEXT}.`;

const OPTIONS = {
  config: { type: 'string' },
  dataset: { type: 'string' },
  preset: { type: 'string' },
  pipeline: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  'lr-scaling': { type: 'string' },
  'weight-decay': { type: 'string' },
  warmup: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  'train-limit': { type: 'string' },
  'knn-every': { type: 'string' },
  'knn-k': { type: 'string' },
  'knn-limit': { type: 'string' },
  'knn-at-start': { type: 'boolean' },
  name: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const num = (flag: string, v: string | undefined) => parseNumber('train', flag, v);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Set a nested field, creating sections as needed; undefined values are skipped. */
function put(target: Obj, dotted: string, value: unknown): void {
  if (value === undefined) return;
  const keys = dotted.split('.');
  let at = target;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(at[k])) at[k] = {};
    at = at[k] as Obj;
  }
  at[keys[keys.length - 1]!] = value;
}

function readConfigFile(file: string): Obj {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`train: --config ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`train: ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!isObj(raw)) throw new UsageError(`train: ${file}: a training config is a JSON object`);
  return raw;
}

/** The config from --config and the flags, before validation. */
export function configFromArgs(values: Partial<Record<keyof typeof OPTIONS, string | boolean>>): Obj {
  const s = (k: keyof typeof OPTIONS) => values[k] as string | undefined;
  const cfg: Obj = s('config') ? readConfigFile(s('config')!) : {};
  put(cfg, 'dataset', s('dataset'));
  put(cfg, 'model.preset', s('preset'));
  const pipeline = s('pipeline');
  if (pipeline !== undefined) {
    // A file path (exists, or looks like JSON) is read here so run.json keeps the pipeline itself.
    if (fs.existsSync(pipeline) || pipeline.endsWith('.json')) {
      const obj = readConfigFile(pipeline);
      put(cfg, 'pipeline', obj);
    } else put(cfg, 'pipeline', resolveSavedPipeline(defaultDataRoot(), pipeline));
  }
  put(cfg, 'epochs', num('epochs', s('epochs')));
  put(cfg, 'batchSize', num('batch', s('batch')));
  put(cfg, 'optimizer.name', s('optimizer'));
  put(cfg, 'optimizer.baseLr', num('lr', s('lr')));
  put(cfg, 'optimizer.lrScaling', s('lr-scaling'));
  put(cfg, 'optimizer.weightDecay', num('weight-decay', s('weight-decay')));
  put(cfg, 'optimizer.warmupEpochs', num('warmup', s('warmup')));
  put(cfg, 'temperature', num('temperature', s('temperature')));
  put(cfg, 'seed', num('seed', s('seed')));
  put(cfg, 'backend', s('backend'));
  put(cfg, 'trainLimit', num('train-limit', s('train-limit')));
  put(cfg, 'knn.every', num('knn-every', s('knn-every')));
  put(cfg, 'knn.k', num('knn-k', s('knn-k')));
  put(cfg, 'knn.testLimit', num('knn-limit', s('knn-limit')));
  if (values['knn-at-start']) put(cfg, 'knn.atStart', true);
  put(cfg, 'runName', s('name'));
  if (s('out') !== undefined) put(cfg, 'outDir', path.resolve(s('out')!));
  return cfg;
}

function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(r).padStart(2, '0')}`;
}

function bar(done: number, total: number, width: number): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return '#'.repeat(filled) + '-'.repeat(width - filled);
}

/** Renders training events: one redrawn line on a TTY, sparse plain lines otherwise. */
class ProgressPrinter {
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  private clear(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  line(text: string): void {
    this.clear();
    this.out.write(text + '\n');
  }

  event(e: TrainEvent): void {
    switch (e.type) {
      case 'start':
        this.line(
          `run ${e.runDir}\n  ${e.resumedFrom ? `resumed from ${e.resumedFrom} (epoch ${e.startEpoch}/${e.epochs}, step ${e.globalStep})` : `${e.epochs} epochs x ${e.stepsPerEpoch} steps`}, ${e.model}, batch ${e.batchSize}, lr ${e.learningRate.toPrecision(3)}, backend ${e.backend}`,
        );
        break;
      case 'step': {
        const text = `epoch ${e.epoch}/${e.epochs} [${bar(e.step, e.stepsPerEpoch, 24)}] ${e.step}/${e.stepsPerEpoch}  loss ${e.loss.toFixed(4)}  acc ${e.contrastiveAcc.toFixed(3)}  lr ${e.lr.toExponential(2)}  ${e.imagesPerSec.toFixed(1)} img/s  ETA ${fmtDuration(e.etaSec)}`;
        if (this.tty) {
          this.out.write('\r\x1b[K' + text);
          this.drawn = true;
        } else {
          // Plain output (logs, pipes): about every 10% of an epoch or 30 s.
          const every = Math.max(1, Math.round(e.stepsPerEpoch / 10));
          const now = Date.now();
          if (e.step % every === 0 || e.step === e.stepsPerEpoch || now - this.lastPlain > 30_000) {
            this.lastPlain = now;
            this.out.write(text + '\n');
          }
        }
        break;
      }
      case 'epoch':
        this.line(`epoch ${e.epoch}/${e.epochs} done: mean loss ${e.meanLoss.toFixed(4)}, contrastive acc ${e.meanContrastiveAcc.toFixed(3)}, ${e.imagesPerSec.toFixed(1)} img/s, ${fmtDuration(e.seconds)}`);
        break;
      case 'knn':
        this.line(`  kNN (k=${e.k}) top-1 on ${e.testCount} test images${e.epoch === 0 ? ' at random init' : ''}: ${(100 * e.accuracy).toFixed(2)}%  (${e.seconds.toFixed(1)} s)`);
        break;
      case 'checkpoint':
        break;
      case 'end':
        this.line(`${e.status}: ${e.epochsCompleted} epoch(s), ${e.globalStep} steps, ${fmtDuration(e.seconds)}${e.error ? ` — ${e.error}` : ''}`);
        break;
    }
  }
}

export const trainCommand = defineCommand(HELP, async (argv) => {
  const { values } = parse('train', argv, OPTIONS, false);
  const printer = new ProgressPrinter(process.stderr);
  const onProgress = values.json ? (e: TrainEvent) => printJsonProgress(e) : (e: TrainEvent) => printer.event(e);
  // Check everything before the first signal handler goes up: bad flags fail at once.
  let config: TrainConfig | undefined;
  if (values.resume) {
    const extra = Object.keys(values).filter((k) => !['resume', 'json', 'backend'].includes(k));
    if (extra.length) throw new UsageError(`train: --resume continues a run with its own config; drop ${extra.map((k) => `--${k}`).join(', ')}`);
  } else {
    const raw = configFromArgs(values);
    if (raw.dataset === undefined) throw new UsageError('train: give --dataset (or a --config with "dataset"); see train --help');
    try {
      config = parseTrainConfig(raw as TrainConfigInput, values.config ?? 'flags');
    } catch (err) {
      if (err instanceof TrainConfigError) throw new UsageError(`train: ${err.message}`);
      throw err;
    }
  }
  return interruptible('training', async (signal) => {
    const result = config
      ? await trainSimclr({ config, signal, onProgress })
      : await trainSimclr({ resume: path.resolve(values.resume!), backend: values.backend, signal, onProgress });
    printResult(!!values.json, result, () => result.runDir);
    return result.status === 'completed' ? 0 : 1;
  });
});

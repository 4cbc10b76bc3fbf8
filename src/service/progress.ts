/**
 * Engine events as job progress (src/shared/progress.ts): each event keeps its
 * own fields and gains its `kind` and the common ones every UI can draw
 * (fraction, message, etaSeconds).
 */
import type { DatasetProgress } from '../shared/dataset.js';
import type { EmbedProgress } from '../shared/embed.js';
import type { EvalEvent as EvalEventDto, ProgressOf, TrainEvent } from '../shared/progress.js';
import type { EvalEvent } from '../engine/eval/evaluate.js';

// The engine's evaluation events (src/engine/eval/evaluate.ts) and the contract's schema describe the same events.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _evalEventsMatch: Same<EvalEvent, EvalEventDto> = true;
void _evalEventsMatch;

/** A training event as job progress. */
export function trainProgress(e: TrainEvent): ProgressOf<'train'> {
  switch (e.type) {
    case 'start':
      return { kind: 'train', ...e, fraction: (e.startEpoch - 1) / e.epochs, message: `run ${e.runId}: ${e.epochs} epochs of ${e.stepsPerEpoch} steps` };
    case 'step': {
      const done = (e.epoch - 1) * e.stepsPerEpoch + e.step;
      return {
        kind: 'train',
        ...e,
        fraction: done / (e.epochs * e.stepsPerEpoch),
        etaSeconds: e.etaSec,
        message: `epoch ${e.epoch}/${e.epochs}, step ${e.step}/${e.stepsPerEpoch}, loss ${e.loss.toFixed(4)}`,
      };
    }
    case 'epoch':
      return { kind: 'train', ...e, fraction: e.epoch / e.epochs, message: `epoch ${e.epoch}/${e.epochs} done, mean loss ${e.meanLoss.toFixed(4)}` };
    case 'knn':
      return { kind: 'train', ...e, message: `kNN accuracy ${(e.accuracy * 100).toFixed(1)}% after epoch ${e.epoch}` };
    case 'checkpoint':
      return { kind: 'train', ...e, message: `checkpoint after epoch ${e.epoch}` };
    case 'end':
      return { kind: 'train', ...e, message: `run ${e.status}` };
  }
}

/** An evaluation event as job progress. */
export function evalProgress(e: EvalEvent): ProgressOf<'eval'> {
  switch (e.type) {
    case 'data':
      return { kind: 'eval', ...e, message: `${e.dataset}: ${e.train} train / ${e.test} test images, ${e.numClasses} classes${e.transfer ? ' (transfer)' : ''}` };
    case 'start':
      return { kind: 'eval', ...e, message: `${e.protocol}${e.labelFraction < 1 ? ` (${e.labelFraction * 100}% labels)` : ''}: starting` };
    case 'features':
      return { kind: 'eval', ...e, fraction: e.total ? e.done / e.total : 0, message: `${e.protocol}: ${e.split} features ${e.done}/${e.total}` };
    case 'linear':
      return { kind: 'eval', ...e, message: `${e.protocol}: ${e.stage} l2=${e.l2} (${e.index + 1}/${e.of}), iteration ${e.iteration}` };
    case 'train':
      return { kind: 'eval', ...e, fraction: ((e.epoch - 1) * e.steps + e.step) / (e.epochs * e.steps), message: `${e.protocol}: epoch ${e.epoch}/${e.epochs}` };
    case 'done':
      return { kind: 'eval', ...e, message: `${e.protocol}: top-1 ${(e.result.metrics.top1 * 100).toFixed(2)}%` };
  }
}

const EMBED_STAGES: Record<EmbedProgress['stage'], string> = { extract: 'extracting features', affinities: 'neighbour affinities', optimize: 'optimising the layout', atlas: 'thumbnail atlas', done: 'done' };

/** An embedding event as job progress; runId lets the UI match the job to its run. */
export function embedProgress(e: EmbedProgress, runId: string): ProgressOf<'embed'> {
  return {
    kind: 'embed',
    ...e,
    runId,
    fraction: e.total ? Math.min(1, e.done / e.total) : undefined,
    ...(e.etaMs !== undefined ? { etaSeconds: e.etaMs / 1000 } : {}),
    message: `${EMBED_STAGES[e.stage]} ${e.done}/${e.total}${e.kl !== undefined ? `, KL ${e.kl.toFixed(3)}` : ''}`,
  };
}

const DATASET_PHASES: Record<DatasetProgress['phase'], string> = { download: 'downloading', verify: 'verifying', extract: 'extracting', read: 'reading', decode: 'decoding', cache: 'caching' };

function mib(n: number): string {
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** A dataset download/import event as job progress: bytes, rate and ETA while downloading. */
export function datasetProgress(e: DatasetProgress): ProgressOf<'dataset'> {
  const bytes = e.phase === 'download' || e.phase === 'verify';
  const amount = bytes ? `${mib(e.done)}${e.total !== null ? ` of ${mib(e.total)}` : ''}` : `${e.done}${e.total !== null ? `/${e.total}` : ''}`;
  const rate = e.bytesPerSecond !== undefined ? `, ${mib(e.bytesPerSecond)}/s` : '';
  const { etaSeconds, ...rest } = e;
  return {
    kind: 'dataset',
    ...rest,
    fraction: e.total ? Math.min(1, e.done / e.total) : undefined,
    ...(typeof etaSeconds === 'number' ? { etaSeconds } : {}),
    message: `${DATASET_PHASES[e.phase]} ${e.file}: ${amount}${rate}`,
  };
}

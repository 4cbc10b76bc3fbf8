import type { RunStatus } from '../../shared/run.js';

/**
 * Progress of a SimCLR run, in order: start, then per epoch its steps, the
 * epoch summary, (kNN), checkpoint; finally end (also after cancel/failure).
 * Epochs are numbered from 1; `step` counts the steps done in the epoch (1..stepsPerEpoch).
 */
export type TrainEvent =
  | {
      type: 'start';
      runDir: string;
      runId: string;
      epochs: number;
      stepsPerEpoch: number;
      batchSize: number;
      /** the epoch about to run (1 for a new run) */
      startEpoch: number;
      globalStep: number;
      learningRate: number;
      model: string;
      backend: string;
      /** the checkpoint a resumed run continues from */
      resumedFrom: string | null;
    }
  | {
      type: 'step';
      epoch: number;
      epochs: number;
      step: number;
      stepsPerEpoch: number;
      globalStep: number;
      loss: number;
      lr: number;
      /** fraction of the 2N views whose positive is ranked first */
      contrastiveAcc: number;
      /** source images (each gives two views) per second, over this epoch so far */
      imagesPerSec: number;
      /** seconds until the last epoch ends at the current speed */
      etaSec: number;
    }
  | { type: 'epoch'; epoch: number; epochs: number; globalStep: number; meanLoss: number; meanContrastiveAcc: number; seconds: number; imagesPerSec: number }
  | { type: 'knn'; epoch: number; accuracy: number; k: number; temperature: number; testCount: number; seconds: number }
  | { type: 'checkpoint'; epoch: number; globalStep: number; dir: string }
  | { type: 'end'; status: Exclude<RunStatus, 'running'>; epochsCompleted: number; globalStep: number; seconds: number; error: string | null };

export interface TrainResult {
  runDir: string;
  runId: string;
  status: 'completed';
  epochsCompleted: number;
  globalStep: number;
  /** mean loss of the last epoch */
  finalLoss: number | null;
  /** last kNN monitor accuracy */
  knnAccuracy: number | null;
  seconds: number;
}

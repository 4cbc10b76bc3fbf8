/** Progress of a SimCLR run (start, step, epoch, knn, checkpoint, end): defined with the contract, src/shared/progress.ts. */
export type { TrainEvent } from '../../shared/progress.js';

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

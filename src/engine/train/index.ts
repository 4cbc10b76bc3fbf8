/**
 * SimCLR pretraining: the loop, its run directory, checkpoints and resume.
 *
 * Public API
 * ----------
 *   trainSimclr({ config | resume, backend?, dataset?, signal?, onProgress? }): Promise<TrainResult>
 *     config: TrainConfigInput (src/shared/train-config.ts; validated, defaults filled) -> a new run
 *       directory <outDir ?? dataRoot/runs>/<yyyymmdd-hhmmss>-<name>/.
 *     resume: a run directory -> continues from its latest complete checkpoint with the config,
 *       pipeline and dataset (checksum-verified) of run.json. Per-step losses then equal those of an
 *       uninterrupted run of the same seed on the same backend (float round-off at most).
 *     Resolves after the last epoch (status completed). `signal` cancels between steps (and between
 *     kNN feature batches): run.json gets status cancelled and the promise rejects with an AbortError.
 *     Other errors: status failed, error message in run.json, the error is rethrown.
 *     Per epoch: shuffled (seeded) batches of `batchSize` images (the last partial batch is dropped),
 *     two augmented views each (src/engine/augment augmentPair; batch s+1 is augmented before the
 *     trainer waits for step s's loss), forward over the 2N views with batch norm in training mode,
 *     NT-Xent, gradients, optimiser step with the warmup + cosine learning rate for the global step;
 *     then the kNN monitor every knn.every epochs and after the last, then a checkpoint.
 *   TrainEvent (./events.ts), in order:
 *     start {runDir, runId, epochs, stepsPerEpoch, batchSize, startEpoch, globalStep, learningRate, model, backend, resumedFrom}
 *     step  {epoch, epochs, step, stepsPerEpoch, globalStep, loss, lr, contrastiveAcc, imagesPerSec, etaSec}
 *     epoch {epoch, epochs, globalStep, meanLoss, meanContrastiveAcc, seconds, imagesPerSec}
 *     knn   {epoch, accuracy, k, temperature, testCount, seconds}
 *     checkpoint {epoch, globalStep, dir}
 *     end   {status, epochsCompleted, globalStep, seconds, error}
 *     Epochs count from 1; `step` is the number of steps done in the epoch; imagesPerSec counts
 *     source images (each gives two views).
 *
 *   loadEncoder(runDir, { checkpoint?: 'latest' | 'init' | epoch number | 'epoch-0003' | path })
 *     -> { model, pipeline, record, checkpoint }   (./encoder.ts) the run's model with the checkpoint's
 *     weights and BN running statistics; h = model.encode(evalBatch(set, idx, pipeline), false).
 *     'init' gives the same architecture and seed untrained: the random-init baseline. Caller disposes.
 *   knnMonitor(model, pipeline, train, test, cfg, numClasses) -> top-1 (the monitor itself; the
 *     classifier is src/engine/eval/knn.ts).
 *
 * Run directory (docs/ARCHITECTURE.md):
 *   run.json       RunRecord (src/shared/run.ts): format/version, id, name, status
 *                  (running|completed|failed|cancelled|interrupted — interrupted is what readers show for a
 *                  'running' record whose pid is gone), config (resolved), pipeline (resolved), model
 *                  (resolved ModelConfig + depth, featureDim, params), learningRate (peak, after scaling),
 *                  stepsPerEpoch, dataset {id, name, format, path, classNames, trainCount, testCount,
 *                  height, width, channels, checksum = sha256 of the pixels+labels used}, seed, backend
 *                  (initBackend's BackendInfo), versions, startedAt, endedAt, pid, host, epochsCompleted,
 *                  globalStep, resumes[], error. Rewritten atomically (temp file + rename).
 *   metrics.jsonl  one JSON object per line, appended: {type:'step', epoch, step, globalStep, loss, lr,
 *                  contrastiveAcc, imagesPerSec, time}, {type:'epoch', epoch, globalStep, meanLoss,
 *                  meanContrastiveAcc, seconds, imagesPerSec, time}, {type:'knn', epoch, globalStep, k,
 *                  temperature, accuracy, testCount, seconds, time}, {type:'resume', epoch, globalStep,
 *                  checkpoint, time}. After a resume line, earlier step records with a larger globalStep
 *                  belong to the interrupted attempt.
 *   checkpoints/   epoch-NNNN/{manifest.json, tensors.bin} + `latest`; format in ./checkpoint.ts. Model
 *                  tensors are named as Model.getWeights(); optimiser slots as the optimiser exports them;
 *                  manifest.state = {runId, rng: {shuffle, augment} (xoshiro128** states), optimizer}.
 */
export { trainSimclr, trainStep, knnMonitor, runSplits, type TrainOptions } from './simclr.js';
export type { TrainEvent, TrainResult } from './events.js';
export { loadEncoder, type LoadEncoderOptions, type LoadedEncoder } from './encoder.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  checkpointName,
  latestCheckpoint,
  listCheckpoints,
  newestReadableCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointManifest,
  type CheckpointTensorEntry,
  type LoadedCheckpoint,
} from './checkpoint.js';
export { RUN_JSON, METRICS_JSONL, CHECKPOINTS_DIR, readRun, imageSetsChecksum } from './run-dir.js';
export { modelConfigOf } from './model-config.js';

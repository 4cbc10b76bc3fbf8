/**
 * Evaluation: linear probe, kNN, fine-tuning, baselines, transfer and the reproduction report.
 *
 * Public API
 * ----------
 *   evaluateRun(runDir, opts): Promise<{ results, report, run }>                    ./evaluate.ts
 *     opts.protocols: ('linear'|'knn'|'finetune'|'supervised'|'random'|'pixels')[]  (ALL_PROTOCOLS = all, cheap first)
 *     opts.dataset: another dataset ref or Dataset = transfer (e.g. CIFAR-10 run evaluated on CIFAR-100);
 *     opts.inputSize: feed the encoder N x N (default the run's view size; other image sizes are resized);
 *     opts.trainLimit / testLimit (first N), labelFractions ([0.01, 0.1, 1]; class-balanced, seeded),
 *     recipe ('cifar' | 'paper-b5', ./recipes.ts) and its overrides epochs / batchSize / finetuneLr / supervisedLr,
 *     linearProtocol ('lbfgs' | 'paper-b6') + linearEpochs, l2Grid / maxIter, knn {k, temperature}, seed,
 *     checkpoint, backend, dataRoot, cache, save (default true), signal, onProgress(EvalEvent).
 *     Each finished protocol is merged into <runDir>/eval.json (atomic temp + rename) and appended to
 *     metrics.jsonl as {"type":"eval", protocol, dataset, labelFraction, top1, top5, wallSeconds, time}.
 *     Bad run directories (missing, a file, no run.json, invalid run.json, no checkpoint) fail before any
 *     data is read, with the path and the fix in the message: checkRunDir(runDir).
 *
 *   Protocols (all score the dataset's test split; features are h, the encoder output before the projection head):
 *     linear      frozen encoder. 'lbfgs' (default): un-augmented eval transform, features standardised with the
 *                 train mean/std, multinomial logistic regression + L2 by L-BFGS (./logreg.ts), L2 chosen on a
 *                 seeded stratified 20% validation split of train, refit on all train. 'paper-b6': SimCLR Appendix
 *                 B.6, the classifier head trained by Nesterov SGD on crop + flip views (encoder in inference mode).
 *     knn         weighted kNN on the same features (./knn.ts, the training monitor's definition; k and T
 *                 default to the run's monitor settings).
 *     finetune    encoder + new linear head trained end to end (./finetune.ts): Nesterov SGD, cosine schedule,
 *                 random crop + flip, on all labels or a class-balanced fraction; hyperparameters from the named
 *                 recipe, recorded as settings.recipe.
 *     supervised  the same loop from the run's architecture at random init (supervised from scratch).
 *     random      linear evaluation of the run's encoder at its random initialisation (same config and seed).
 *     pixels      linear evaluation of raw pixels (values in [0, 1], standardised).
 *
 *   Building blocks:
 *     fitLogReg(features, labels, { l2, numClasses, maxIter?, gradTol?, init?, signal? }) -> LogRegFit  ./logreg.ts
 *       objective mean CE + l2/2 ||W||^2 (bias unpenalised; = scikit-learn C = 1/(l2 n)).
 *     linearEval(train: FeatureSet, test: FeatureSet, { numClasses, l2Grid?, valFraction?, patience?, seed? })
 *       -> { metrics, l2, validation[], fit, rowsProcessed }                                          ./linear.ts
 *     encoderFeatures(model, set, pipeline, { batchSize?, inputSize?, signal?, onProgress? }) -> Tensor2D ./features.ts
 *     pixelFeatures(set) -> Tensor2D                                                                  ./pixels.ts
 *     trainClassifier(model, train, test, pipeline, numClasses, opts) -> { metrics, epochs, images, ... }  ./finetune.ts
 *     classifierModel(encoderModel, numClasses, 'weights' | 'random', seed) -> Model with a classifier head
 *     metricsFromScores(scores, labels, numClasses) / metricsFromPredictions(...)                    ./metrics.ts
 *       -> { top1, top5, perClass (recall; null for absent classes), confusion[true][pred], count }
 *     balancedSubset(labels, fraction, seed), stratifiedSplit(labels, valFraction, seed)              ./common.ts
 *
 *   Report (schema and table in src/shared/eval.ts; published numbers in ./references.ts):
 *     readEvalReport(runDir) -> EvalReport | null;  saveResults(runDir, run, results) -> EvalReport
 *     formatReport(report, 'md' | 'csv' | 'json') -> text; parseReportCsv / parseReportMarkdown read the table back.
 */
export { ALL_PROTOCOLS, checkRunDir, datasetFamily, evaluateRun, type EvalEvent, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
export { fitLogReg, logRegLogits, disposeLogReg, type LogRegFit, type LogRegModel, type LogRegOptions } from './logreg.js';
export { DEFAULT_L2_GRID, featureStats, linearEval, standardise, type FeatureSet, type LinearEvalOptions, type LinearEvalResult } from './linear.js';
export { encoderFeatures, pipelineAt, type EncoderFeatureOptions } from './features.js';
export { pixelFeatures } from './pixels.js';
export { classifierMetrics, classifierModel, cropFlipPipeline, FINETUNE_DEFAULTS, SUPERVISED_DEFAULTS, trainClassifier, type ClassifierTrainOptions, type ClassifierTrainResult } from './finetune.js';
export { FINETUNE_RECIPE_TABLE, LINEAR_B6_RECIPE, LINEAR_PROTOCOL_DESCRIPTIONS, paperB5Epochs, stepsPerEpoch, supervisedRecipe, type TrainRecipe } from './recipes.js';
export { metricsFromPredictions, metricsFromScores } from './metrics.js';
export { balancedSubset, seededRandom, stratifiedSplit } from './common.js';
export { EVAL_JSON, formatReport, readEvalReport, REPORT_FORMATS, saveResults, type ReportFormat } from './report.js';
export { REFERENCES } from './references.js';
export { extractFeatures, knnAccuracy, knnPredict, KNN_DEFAULTS } from './knn.js';

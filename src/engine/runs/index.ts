/**
 * The run history on disk (one directory per run under <data-root>/runs, see
 * docs/ARCHITECTURE.md). The directories are the truth; runs/.index.json only
 * caches summaries. User edits (name, tags, notes) go to notes.json so they
 * never race the trainer, which alone writes run.json and metrics.jsonl.
 *
 *   new RunStore(dataRoot)
 *     .list(query)               summaries, filtered and sorted; broken runs listed under `skipped`
 *     .show(id)                  run.json + annotations + evaluations
 *     .rename/.tag/.setNotes     annotations
 *     .cloneConfig(id)           the config to retrain with
 *     .trash/.restore/.listTrash/.emptyTrash
 *     .exportRun(id, file)       .tar.gz; .importRun(file) -> new id
 *     .series(id), .compare(ids) metric series, config diff, evaluation rows
 */
export { RunStore, type RunDetail, type TrashedRun } from './store.js';
export { defaultDataRoot, runsDir, trashDir, checkRunId } from './paths.js';
export { readMetrics, readMetricsTail } from './metrics.js';
export { honestStatus, processAlive } from './liveness.js';
export { configDiff, flatten } from './compare.js';
export { readRunRecord, summarizeRun } from './summary.js';

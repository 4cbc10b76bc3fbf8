import { z } from 'zod';
import { API_METHODS, type ApiMethod } from './api-methods.js';
import { BackendNameSchema } from './backend.js';
import {
  datasetListEntrySchema,
  datasetRefSchema,
  datasetSummarySchema,
  imageRequestSchema,
  imageResponseSchema,
  SPLIT_NAMES,
  thumbnailPageRequestSchema,
  thumbnailPageResponseSchema,
} from './dataset.js';
import { atlasIndexSchema, embedOptionsSchema, EMBED_FEATURES, EMBED_METHODS } from './embed.js';
import { EVAL_PROTOCOLS, evalRecipeFields, evalReportSchema } from './eval.js';
import { evalHistorySchema } from './eval-history.js';
import { pipelineSchema } from './pipeline.js';
import { JobProgressSchema, type JobProgress } from './progress.js';
import { runRecordSchema } from './run.js';
import { runAnnotationsSchema, runListQuerySchema, runSummarySchema, type RunComparison } from './runs.js';
import { BackendPreferenceSchema, SettingsPatchSchema, SettingsSchema } from './settings.js';
import { trainConfigSchema } from './train-config.js';
import { IssueSchema, zodIssues } from './validation.js';

export * from './api-methods.js';

/**
 * The one contract between the UI and the engine: every request, response and
 * event, as zod schemas. Electron IPC (src/main + src/preload) and the HTTP +
 * WebSocket server (src/server/serve.ts) are two transports of exactly this
 * table; both validate requests with it at the boundary, and the service
 * (src/engine/jobs/service.ts) validates responses before they leave.
 *
 * Topic schemas come from their own files (dataset.ts, pipeline.ts,
 * train-config.ts, run.ts, runs.ts, settings.ts); this file composes them.
 * Schemas marked PLACEHOLDER stand in for a topic schema that has not landed
 * yet and are deliberately loose.
 */

// ---------------------------------------------------------------- common

export const ERROR_CODES = [
  'bad_request', // the payload failed validation (issues say which field)
  'unauthorized', // server mode: missing or wrong token
  'forbidden', // a path outside the allowed folders, a wrong origin
  'not_found', // unknown method, job, run, dataset or file
  'conflict', // e.g. cancelling a job that already ended
  'payload_too_large',
  'unsupported_media_type',
  'engine_error', // the engine refused the input (message names the file/field)
  'cancelled',
  'job_crashed', // a job process died; logTail holds its last lines
  'worker_crashed', // the interactive worker died during the call; it restarts on the next one
  'not_implemented', // the engine module behind the method has not landed yet
  'internal',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ApiErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** validation problems, one per field: path like "dataset.path" */
  issues: z.array(IssueSchema).optional(),
  /** last lines of the process log, for crashes */
  logTail: z.array(z.string()).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** What every call returns on both transports: the result, or an error. */
export type ApiEnvelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ApiError };

const Empty = z.object({}).strict().default({});
const IsoTime = z.string();
const Int = z.number().int();
/** Run ids name a directory under <data-root>/runs, so no separators, no "..". */
export const RunIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a run id is letters, digits, ".", "_" and "-" (no path separators)')
  .refine((id) => !id.includes('..'), 'a run id cannot contain ".."');
const JobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a job id');

// ---------------------------------------------------------------- app, backend

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** who hosts the API: the desktop app or `simclr-workbench serve` */
  shell: z.enum(['electron', 'server']),
  dataRoot: z.string(),
  platform: z.string(),
  /**
   * Real datasets found beside the installation (the shared CIFAR subsets in
   * ../shared/data), readable without being allowed first: the UI opens the
   * first one on a first start, so it never starts on an empty screen.
   */
  suggestedDatasets: z.array(z.object({ name: z.string(), path: z.string() })),
});

/** Mirrors BackendInfo in src/engine/backend/types.ts (checked there at compile time). */
export const BackendInfoSchema = z.object({
  name: BackendNameSchema,
  tfjsVersion: z.string(),
  source: z.string(),
  device: z.string(),
  gpu: z.boolean(),
  threads: Int,
  reason: z.string(),
  attempts: z.array(z.object({ name: BackendNameSchema, source: z.string(), ok: z.boolean(), detail: z.string() })),
  adapter: z
    .object({ vendor: z.string(), architecture: z.string(), device: z.string(), description: z.string(), software: z.boolean(), limits: z.record(z.string(), z.number()) })
    .optional(),
});
export type BackendInfoDto = z.infer<typeof BackendInfoSchema>;

// ---------------------------------------------------------------- datasets
// The topic schemas are src/shared/dataset.ts (datasets module); images are base64 PNG.

/** A dataset: builtin id, cached id, a path (text form), or a DatasetRef object. Paths must lie in allowed folders. */
export const DatasetArgSchema = z.union([z.string().min(1), datasetRefSchema]);
export type DatasetArg = z.input<typeof DatasetArgSchema>;
const DatasetOnly = z.object({ dataset: DatasetArgSchema }).strict();

// ---------------------------------------------------------------- augmentation
// The pipeline schema is src/shared/pipeline.ts; the preview is src/engine/augment/preview.ts, with
// thumbnails as base64 PNG and, per view, what each op did (OpRecord: op, step, applied, drawn).

export const AugmentPreviewRequestSchema = z
  .object({
    dataset: DatasetArgSchema,
    split: z.enum(SPLIT_NAMES).default('train'),
    indices: z.array(Int.min(0)).min(1).max(64),
    pairs: Int.min(1).max(16).default(2),
    seed: Int.min(0).max(2 ** 32 - 1).default(0),
    /** a preset name ("SimCLR CIFAR"), a pipeline JSON file, or the pipeline itself */
    pipeline: z.union([z.string().min(1), pipelineSchema]),
  })
  .strict();
const PngSchema = z.object({ width: Int, height: Int, png: z.string() });
const PreviewViewSchema = z.object({
  image: PngSchema,
  ops: z.array(z.object({ op: z.string(), step: Int, applied: z.boolean(), drawn: z.unknown() })),
});
export const AugmentPreviewSchema = z.object({
  seed: Int,
  outputSize: Int,
  samples: z.array(z.object({ index: Int, label: Int, original: PngSchema, pairs: z.array(z.tuple([PreviewViewSchema, PreviewViewSchema])) })),
});
export type AugmentPreviewDto = z.infer<typeof AugmentPreviewSchema>;

// ---------------------------------------------------------------- jobs

export const JOB_KINDS = ['train', 'resume', 'eval', 'embed', 'selftest', 'dataset'] as const;
export const JobKindSchema = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKindSchema>;

/** Continue an interrupted or cancelled run from its latest checkpoint. */
export const ResumeConfigSchema = z.object({ runId: RunIdSchema }).strict();
/** Evaluate a run (src/engine/eval evaluateRun): results go to its eval.json and metrics.jsonl. */
export const EvalConfigSchema = z
  .object({
    runId: RunIdSchema,
    protocols: z.array(z.enum(EVAL_PROTOCOLS)).min(1).default(['linear', 'knn']),
    /** another dataset to evaluate on (transfer), in text form: builtin id, cached id or path; default the run's own */
    dataset: z.string().min(1).optional(),
    checkpoint: z.union([z.literal('latest'), Int.min(0), z.string().regex(/^epoch-\d{4}$/, 'a checkpoint name like epoch-0003')]).default('latest'),
    inputSize: Int.min(8).max(1024).optional(),
    trainLimit: Int.positive().nullable().optional(),
    testLimit: Int.positive().nullable().optional(),
    /** finetune/supervised: class-balanced label fractions */
    labelFractions: z.array(z.number().gt(0).max(1)).min(1).max(8).optional(),
    epochs: Int.min(1).max(1000).optional(),
    batchSize: Int.min(2).max(4096).optional(),
    seed: Int.min(0).optional(),
    ...evalRecipeFields,
  })
  .strict();
/** Embed a run (src/engine/embed embedRun): features, a 2-D projection and a thumbnail atlas in <run>/embeddings. */
export const EmbedConfigSchema = embedOptionsSchema.extend({ runId: RunIdSchema }).strict();

/**
 * A job that exercises the job machinery without compute: progress, log lines,
 * cancel. `crash` kills its process (test hook, refused unless the host was
 * started with SIMCLR_WORKBENCH_TEST_HOOKS=1).
 */
export const SelftestConfigSchema = z
  .object({
    steps: Int.min(1).max(100_000).default(10),
    stepMs: Int.min(0).max(60_000).default(50),
    crashAtStep: Int.min(0).optional(),
    failAtStep: Int.min(0).optional(),
  })
  .strict();

/**
 * Get a dataset into the cache (src/engine/data): a builtin id (cifar10, cifar100, cifar100-coarse,
 * fashion-mnist) is downloaded (resuming, MD5-checked) and imported; anything else (a path in an
 * allowed folder) is imported. Progress is the engine's DatasetProgress (phase, file, done, total,
 * bytesPerSecond, etaSeconds) plus the common fields. `mirror` fetches builtin files from
 * `<baseUrl>/<file name>` instead of the official host, with that mirror's own MD5s when given.
 */
export const DatasetJobConfigSchema = z
  .object({
    dataset: DatasetArgSchema,
    mirror: z
      .object({
        baseUrl: z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL'),
        /** file name -> MD5 (hex) for the mirror's files; files not named keep the published MD5 */
        md5: z.record(z.string().min(1).max(200), z.string().regex(/^[0-9a-fA-F]{32}$/, 'an MD5 in hex')).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type DatasetJobConfig = z.input<typeof DatasetJobConfigSchema>;

export const JobStartRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('train'), config: trainConfigSchema, label: z.string().max(200).optional() }).strict(),
  z.object({ kind: z.literal('resume'), config: ResumeConfigSchema, label: z.string().max(200).optional() }).strict(),
  z.object({ kind: z.literal('eval'), config: EvalConfigSchema, label: z.string().max(200).optional() }).strict(),
  z.object({ kind: z.literal('embed'), config: EmbedConfigSchema, label: z.string().max(200).optional() }).strict(),
  z.object({ kind: z.literal('selftest'), config: SelftestConfigSchema, label: z.string().max(200).optional() }).strict(),
  z.object({ kind: z.literal('dataset'), config: DatasetJobConfigSchema, label: z.string().max(200).optional() }).strict(),
]);
export type JobStartRequest = z.input<typeof JobStartRequestSchema>;

export const JobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'crashed']);
export type JobState = z.infer<typeof JobStateSchema>;
export const FINISHED_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'crashed'];

/** Progress of a job: one typed event per job kind (src/shared/progress.ts). */
export { JobProgressSchema, type JobProgress };

export const JobInfoSchema = z.object({
  id: JobId,
  kind: JobKindSchema,
  label: z.string(),
  state: JobStateSchema,
  createdAt: IsoTime,
  startedAt: IsoTime.nullable(),
  endedAt: IsoTime.nullable(),
  /** position in the queue (0 = next), null when not queued */
  queuePosition: Int.nullable(),
  pid: Int.nullable(),
  progress: JobProgressSchema.nullable(),
  /** the engine function's result (e.g. { runId }) once succeeded */
  result: z.unknown().nullable(),
  error: ApiErrorSchema.nullable(),
  /** the run directory this job writes or reads, when it has one */
  runId: z.string().nullable(),
  /** last lines of the job's log (engine log lines, stdout and stderr) */
  logTail: z.array(z.string()),
});
export type JobInfo = z.infer<typeof JobInfoSchema>;

// ---------------------------------------------------------------- runs
// The topic schemas are src/shared/runs.ts (history, annotations, comparison) and src/shared/run.ts (run.json).

const MetricSeriesSchema = z.object({ runId: z.string(), metric: z.string(), x: z.enum(['globalStep', 'epoch']), points: z.array(z.tuple([z.number(), z.number()])) });
export const RunDetailSchema = z.object({
  summary: runSummarySchema,
  record: runRecordSchema,
  annotations: runAnnotationsSchema,
  evaluations: z.record(z.string(), z.number()),
  badMetricLines: Int,
  /** metric curves for the charts (loss, lr, kNN accuracy, ...) */
  series: z.array(MetricSeriesSchema),
  /** the run's eval.json (results and the published references they are compared with); null before any evaluation or when unreadable */
  evalReport: evalReportSchema.nullable(),
});
export const RunComparisonSchema = z.object({
  runs: z.array(runSummarySchema),
  series: z.array(MetricSeriesSchema),
  configDiff: z.array(z.object({ path: z.string(), values: z.record(z.string(), z.unknown()) })),
  evaluations: z.record(z.string(), z.record(z.string(), z.number())),
});
// The schema describes exactly the runs module's RunComparison.
const _comparisonMatches: z.infer<typeof RunComparisonSchema> extends RunComparison ? true : false = true;
void _comparisonMatches;
const RunRef = z.object({ runId: RunIdSchema }).strict();
const TrashedRunSchema = z.object({ id: z.string(), trashedAt: z.string(), summary: runSummarySchema.nullable() });

// ---------------------------------------------------------------- embeddings
// Files in <run>/embeddings/ (layout: src/shared/embed.ts), named by their base name only.

const EmbedFileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.(bin|png)$/, 'a file name in the run\'s embeddings folder (no path)');
export const ProjectionListingSchema = z.object({
  /** the projection file, e.g. "test-n500-s0.tsne-h.bin" */
  file: z.string(),
  /** the features file it came from, without .bin */
  name: z.string(),
  method: z.enum(EMBED_METHODS),
  features: z.enum(EMBED_FEATURES),
  count: Int,
  params: z.record(z.string(), z.unknown()),
  kl: z.number().nullable(),
  seconds: z.number(),
  createdAt: z.string(),
  /** the thumbnail atlas index beside it, when written */
  atlas: z.string().nullable(),
});
export const ProjectionDataSchema = z.object({
  file: z.string(),
  count: Int,
  /** x0, y0, x1, y1, ... */
  coords: z.array(z.number()),
  labels: z.array(Int),
  /** image index in the split, per point */
  indices: z.array(Int),
  split: z.string().nullable(),
  datasetId: z.string(),
  classNames: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()),
  /** cell c of the atlas shows point c; null when there is no atlas */
  atlas: atlasIndexSchema.nullable(),
});
export type ProjectionData = z.infer<typeof ProjectionDataSchema>;

// ---------------------------------------------------------------- pipeline library

const PipelineName = z.string().min(1).max(64);
const SavedPipelineSchema = z.object({ name: z.string(), pipeline: pipelineSchema, savedAt: IsoTime });

// ---------------------------------------------------------------- the method table

function method<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response };
}

export const apiMethods = {
  'app.info': method(Empty, AppInfoSchema),
  'backend.info': method(Empty, BackendInfoSchema),

  /** datasets in the cache (<data-root>/datasets) */
  'datasets.list': method(Empty, z.object({ datasets: z.array(datasetListEntrySchema) })),
  /** open (importing into the cache when needed) and summarise */
  'datasets.open': method(DatasetOnly, datasetSummarySchema),
  'datasets.summary': method(DatasetOnly, datasetSummarySchema),
  'datasets.page': method(thumbnailPageRequestSchema, thumbnailPageResponseSchema),
  'datasets.image': method(imageRequestSchema, imageResponseSchema),

  'augment.preview': method(AugmentPreviewRequestSchema, AugmentPreviewSchema),

  'jobs.start': method(JobStartRequestSchema, JobInfoSchema),
  'jobs.cancel': method(z.object({ jobId: JobId }).strict(), JobInfoSchema),
  'jobs.list': method(Empty, z.object({ jobs: z.array(JobInfoSchema) })),
  'jobs.status': method(z.object({ jobId: JobId }).strict(), JobInfoSchema),

  'runs.list': method(runListQuerySchema.default({ sort: 'startedAt', descending: true }), z.object({ runs: z.array(runSummarySchema), skipped: z.array(z.object({ id: z.string(), reason: z.string() })) })),
  'runs.show': method(RunRef, RunDetailSchema),
  'runs.compare': method(z.object({ runIds: z.array(RunIdSchema).min(2).max(16) }).strict(), RunComparisonSchema),
  'runs.tag': method(z.object({ runId: RunIdSchema, add: z.array(z.string()).max(50).default([]), remove: z.array(z.string()).max(50).default([]) }).strict(), runAnnotationsSchema),
  /** rename and/or set notes */
  'runs.annotate': method(z.object({ runId: RunIdSchema, name: z.string().min(1).max(120).optional(), notes: z.string().max(20_000).optional() }).strict(), runAnnotationsSchema),
  /** the run's config, to start a new run from ("clone to retrain") */
  'runs.clone': method(RunRef, trainConfigSchema),
  /** the pipeline library in the data root (saved from the designer, usable by name in the Train form and `train --pipeline NAME`) */
  'pipelines.list': method(Empty, z.object({ pipelines: z.array(SavedPipelineSchema), problems: z.array(z.string()) })),
  'pipelines.save': method(z.object({ name: PipelineName, pipeline: z.unknown(), overwrite: z.boolean().default(false) }).strict(), SavedPipelineSchema),
  'pipelines.rename': method(z.object({ from: PipelineName, to: PipelineName }).strict(), SavedPipelineSchema),
  'pipelines.delete': method(z.object({ name: PipelineName }).strict(), z.object({ name: z.string(), deleted: z.literal(true) })),
  /** every evaluation of a run, and which ones eval.json (the Runs table) shows */
  'runs.evalHistory': method(RunRef, evalHistorySchema),
  /** show this history record in eval.json instead of the one there for its protocol */
  'runs.evalSelect': method(z.object({ runId: RunIdSchema, entryId: z.string().regex(/^[A-Za-z0-9._-]+$/) }).strict(), evalHistorySchema),
  /** move to the trash (restorable) */
  'runs.delete': method(RunRef, z.object({ runId: z.string(), deleted: z.literal(true) })),
  'runs.restore': method(RunRef, runSummarySchema),
  'runs.trash': method(Empty, z.object({ runs: z.array(TrashedRunSchema) })),
  /** the encoder (+ projection head) as safetensors with torchvision names, in <run>/export/ (src/engine/interchange) */
  'runs.exportWeights': method(
    z.object({ runId: RunIdSchema, projection: z.boolean().default(false) }).strict(),
    z.object({ file: z.string(), sidecar: z.string(), tensors: z.number().int(), bytes: z.number().int(), warnings: z.array(z.string()) }),
  ),

  /** the 2-D projections a run has (embedding jobs write them) */
  'embeddings.list': method(RunRef, z.object({ projections: z.array(ProjectionListingSchema), errors: z.array(z.string()) })),
  'embeddings.get': method(z.object({ runId: RunIdSchema, file: EmbedFileName }).strict(), ProjectionDataSchema),
  /** one sprite sheet of a thumbnail atlas, base64 PNG */
  'embeddings.atlas': method(z.object({ runId: RunIdSchema, file: EmbedFileName }).strict(), z.object({ file: z.string(), png: z.string() })),

  'settings.get': method(Empty, SettingsSchema),
  'settings.set': method(z.object({ patch: SettingsPatchSchema }).strict(), SettingsSchema),
} satisfies Record<ApiMethod, { request: z.ZodType; response: z.ZodType }>;

// Every name in API_METHODS has a schema, and no schema lacks a name.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _methodsMatch: Exact<keyof typeof apiMethods, ApiMethod> = true;
void _methodsMatch;
void API_METHODS;

export type ApiMethods = typeof apiMethods;
/** What a caller passes (defaults may be omitted). */
export type ApiRequest<M extends ApiMethod> = z.input<ApiMethods[M]['request']>;
/** What a handler receives after validation (defaults filled in). */
export type ApiParsedRequest<M extends ApiMethod> = z.output<ApiMethods[M]['request']>;
export type ApiResponse<M extends ApiMethod> = z.output<ApiMethods[M]['response']>;

// ---------------------------------------------------------------- events

export const LogStreamSchema = z.enum(['log', 'stdout', 'stderr']);

export const ApiEventSchema = z.discriminatedUnion('type', [
  /** a job was queued, started or ended (the whole record) */
  z.object({ type: z.literal('job.state'), job: JobInfoSchema }),
  z.object({ type: z.literal('job.progress'), jobId: JobId, progress: JobProgressSchema }),
  z.object({ type: z.literal('job.log'), jobId: JobId, stream: LogStreamSchema, line: z.string() }),
  /** the queued jobs in order (queuePosition = index), sent once per change of the queue */
  z.object({ type: z.literal('jobs.queue'), queue: z.array(JobId) }),
  /** the interactive worker (dataset pages, previews) crashed or came back */
  z.object({ type: z.literal('worker.state'), state: z.enum(['ready', 'crashed']), message: z.string(), logTail: z.array(z.string()).optional() }),
  z.object({ type: z.literal('settings.changed'), settings: SettingsSchema }),
]);
export type ApiEvent = z.infer<typeof ApiEventSchema>;

/** The typed surface both transports give the renderer. */
export interface WorkbenchApi {
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  /** every event; returns an unsubscribe function */
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

export { BackendPreferenceSchema, SettingsPatchSchema, SettingsSchema };

/** A payload's zod error as issues (the one shape: src/shared/validation.ts). */
export { zodIssues };

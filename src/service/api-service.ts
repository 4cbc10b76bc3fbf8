import {
  API_METHODS,
  apiMethods,
  isApiMethod,
  zodIssues,
  type ApiEnvelope,
  type ApiEvent,
  type ApiMethod,
  type ApiParsedRequest,
} from '../shared/api.js';
import type { Settings } from '../shared/settings.js';
import { sharedDataDir, sharedDatasetPath } from '../engine/data/sources.js';
import { ApiCallError, toApiError } from '../engine/jobs/errors.js';
import type { JobHost } from '../engine/jobs/host.js';
import { looksLikePath, PathPolicy } from './paths.js';
import { crossFieldProblems } from '../shared/train-config.js';
import * as library from './pipeline-library.js';
import type { SettingsBackend } from './settings-file.js';

export interface ApiServiceOptions {
  host: JobHost;
  settings: SettingsBackend;
  /** absolute; read on every call (the app's data root follows its setting) */
  dataRoot: () => string;
  /** folders besides the data root that dataset paths may lie in */
  datasetDirs: () => string[];
  app: { name: string; version: string; shell: 'electron' | 'server' };
}

/** The API as both transports see it: one call function and one event stream. */
export interface ApiService {
  /** Validate, route and answer one call. Never throws: errors come back in the envelope. */
  call(method: unknown, payload: unknown): Promise<ApiEnvelope>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
  readonly paths: PathPolicy;
  close(): Promise<void>;
}

type Local = { [M in ApiMethod]?: (req: ApiParsedRequest<M>) => Promise<unknown> | unknown };

/** A dataset reference in a request: a path (string or { path }) is checked; ids are names in the cache. */
function checkDatasetRef(paths: PathPolicy, ref: unknown, field: string): unknown {
  if (typeof ref === 'string') return looksLikePath(ref) ? paths.existing(ref, field) : ref;
  if (ref && typeof ref === 'object' && typeof (ref as { path?: unknown }).path === 'string') {
    return { ...(ref as object), path: paths.existing((ref as { path: string }).path, `${field}.path`) };
  }
  return ref;
}

/** Paths inside a job config: inputs must be readable, outputs under the data root. */
function checkJobConfig(paths: PathPolicy, config: Record<string, unknown>, dataRoot: string): Record<string, unknown> {
  const out = { ...config };
  if ('dataset' in out) out.dataset = checkDatasetRef(paths, out.dataset, 'config.dataset');
  if (typeof out.pipeline === 'string' && looksLikePath(out.pipeline)) out.pipeline = paths.existing(out.pipeline, 'config.pipeline');
  // A saved pipeline's name becomes the pipeline itself, so run.json keeps what was trained with.
  else if ('pipeline' in out) out.pipeline = library.resolveSavedPipeline(dataRoot, out.pipeline);
  for (const key of ['outDir', 'outFile', 'outputDir'] as const) {
    if (typeof out[key] === 'string') out[key] = paths.writable(out[key] as string, `config.${key}`);
  }
  if ('dataRoot' in out) {
    if (typeof out.dataRoot === 'string' && paths.writable(out.dataRoot, 'config.dataRoot') !== paths.writable(dataRoot, 'dataRoot')) {
      throw new ApiCallError('forbidden', `config.dataRoot: jobs use this workbench's data root (${dataRoot}); leave it out`);
    }
    out.dataRoot = dataRoot;
  }
  return out;
}

/** The CLI's cross-field checks, before a job is queued (not as a failed job later). */
function checkTrainCrossFields(config: Parameters<typeof crossFieldProblems>[0]): void {
  const problems = crossFieldProblems(config);
  if (!problems.length) return;
  throw new ApiCallError('bad_request', `jobs.start: invalid training config: ${problems.map((p) => `config.${p.path}: ${p.message}`).join('; ')}`, {
    issues: problems.map((p) => ({ path: `config.${p.path}`, message: p.message })),
  });
}

export function createApiService(opts: ApiServiceOptions): ApiService {
  const { host, settings } = opts;
  // The shared real-data folder beside the project is read-only sample data, not the user's files:
  // readable like an allowed folder, and offered as the dataset to start on.
  const shared = sharedDataDir();
  const paths = new PathPolicy(opts.dataRoot, () => [...opts.datasetDirs(), ...(shared ? [shared] : [])]);
  const suggested = [
    { name: 'CIFAR-10 (shared subset)', path: sharedDatasetPath('cifar10') },
    { name: 'CIFAR-100 (shared subset)', path: sharedDatasetPath('cifar100') },
  ].filter((d): d is { name: string; path: string } => d.path !== undefined);

  const local: Local = {
    'app.info': () => ({ ...opts.app, dataRoot: opts.dataRoot(), platform: process.platform, suggestedDatasets: suggested }),
    'jobs.start': (req) => {
      if (req.kind === 'train') checkTrainCrossFields(req.config);
      return host.start(req.kind, req.kind === 'selftest' || req.kind === 'resume' ? req.config : checkJobConfig(paths, req.config, opts.dataRoot()), req.label);
    },
    'jobs.cancel': (req) => host.cancel(req.jobId),
    'jobs.list': () => ({ jobs: host.list() }),
    'jobs.status': (req) => host.status(req.jobId),
    'pipelines.list': () => library.listPipelines(opts.dataRoot()),
    'pipelines.save': (req) => library.savePipeline(opts.dataRoot(), req.name, req.pipeline, req.overwrite),
    'pipelines.rename': (req) => library.renamePipeline(opts.dataRoot(), req.from, req.to),
    'pipelines.delete': (req) => (library.deletePipeline(opts.dataRoot(), req.name), { name: req.name, deleted: true as const }),
    'settings.get': () => settings.get(),
    'settings.set': (req) => {
      const before = settings.get();
      const after = settings.update(req.patch);
      emitSettings(before, after);
      return after;
    },
  };

  const listeners = new Set<(event: ApiEvent) => void>();
  const unsubscribeHost = host.subscribe((e) => {
    for (const l of listeners) l(e);
  });

  function emitSettings(before: Settings, after: Settings) {
    // A new data root or backend only reaches workers started after the change.
    if (before.dataRoot !== after.dataRoot || before.backend !== after.backend) host.restartInteractive();
    for (const l of listeners) {
      try {
        l({ type: 'settings.changed', settings: after });
      } catch {
        // listeners guard themselves; one failing must not stop the rest
      }
    }
  }

  /** Requests that name files get their paths checked (and made absolute, symlinks resolved). */
  function checkPaths(method: ApiMethod, req: Record<string, unknown>): Record<string, unknown> {
    const out = { ...req };
    if ((method.startsWith('datasets.') || method === 'augment.preview') && 'dataset' in out) out.dataset = checkDatasetRef(paths, out.dataset, 'dataset');
    if (method === 'augment.preview' && typeof out.pipeline === 'string' && looksLikePath(out.pipeline)) out.pipeline = paths.existing(out.pipeline, 'pipeline');
    return out;
  }

  async function call(method: unknown, payload: unknown): Promise<ApiEnvelope> {
    if (!isApiMethod(method)) {
      return { ok: false, error: { code: 'not_found', message: `unknown API method ${JSON.stringify(method)}; the methods are: ${API_METHODS.join(', ')}` } };
    }
    const spec = apiMethods[method];
    const parsed = spec.request.safeParse(payload === null ? undefined : payload);
    if (!parsed.success) {
      const issues = zodIssues(parsed.error);
      return { ok: false, error: { code: 'bad_request', message: `${method}: invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues } };
    }
    try {
      const req = checkPaths(method, parsed.data as Record<string, unknown>);
      const fn = local[method] as ((r: unknown) => unknown) | undefined;
      const result = fn ? await fn(req) : await host.callInteractive(method, req);
      const checked = spec.response.safeParse(result);
      if (!checked.success) {
        const issues = zodIssues(checked.error);
        return {
          ok: false,
          error: { code: 'internal', message: `${method}: the engine's answer does not match the API contract (${issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` },
        };
      }
      return { ok: true, result: checked.data };
    } catch (err) {
      return { ok: false, error: toApiError(err) };
    }
  }

  return {
    call,
    paths,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      unsubscribeHost();
      listeners.clear();
      await host.close();
    },
  };
}

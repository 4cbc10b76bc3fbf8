/**
 * The names of the API methods and the IPC channel names, with no
 * dependencies at all: the sandboxed preload script can only load `electron`,
 * so it imports this list (not the zod schemas in api.ts) to refuse unknown
 * methods before they reach the main process. api.ts checks at compile time
 * that its method table has exactly these keys.
 */
export const API_METHODS = [
  'app.info',
  'backend.info',
  'datasets.list',
  'datasets.open',
  'datasets.summary',
  'datasets.page',
  'datasets.image',
  'augment.preview',
  'jobs.start',
  'jobs.cancel',
  'jobs.list',
  'jobs.status',
  'runs.list',
  'runs.show',
  'runs.compare',
  'runs.tag',
  'runs.annotate',
  'runs.clone',
  'pipelines.list',
  'pipelines.save',
  'pipelines.rename',
  'pipelines.delete',
  'runs.evalHistory',
  'runs.evalSelect',
  'runs.delete',
  'runs.restore',
  'runs.trash',
  'runs.exportWeights',
  'embeddings.list',
  'embeddings.get',
  'embeddings.atlas',
  'settings.get',
  'settings.set',
] as const;

export type ApiMethod = (typeof API_METHODS)[number];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name);
}

/** ipcRenderer.invoke(INVOKE_CHANNEL, method, payload) -> ApiEnvelope */
export const INVOKE_CHANNEL = 'workbench:invoke';
/** webContents.send(EVENT_CHANNEL, ApiEvent) */
export const EVENT_CHANNEL = 'workbench:event';

/** HTTP transport: header carrying the server token, and the WebSocket path for events. */
export const TOKEN_HEADER = 'x-workbench-token';
export const EVENTS_PATH = '/api/events';

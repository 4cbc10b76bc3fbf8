import type { ApiEnvelope, ApiEvent, ApiMethod } from '../shared/api.js';

/**
 * What the preload script exposes as `window.workbench`: the API's two
 * operations over IPC. The renderer wraps it in its `api` object
 * (src/renderer/src/lib/api.ts); requests are validated in the main process.
 */
export interface PreloadApi {
  invoke(method: ApiMethod, payload: unknown): Promise<ApiEnvelope>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

/**
 * The renderer's one API object. Underneath it is either the desktop app's
 * preload bridge (window.workbench, over IPC) or, in a browser opened by
 * `simclr-workbench serve`, HTTP for calls and a WebSocket for events. The
 * choice is made once at startup; views only ever see `api`.
 *
 *   const info = await api.call('backend.info', {});
 *   const stop = api.onEvent((e) => { if (e.type === 'job.progress') ... });
 *
 * Failed calls throw ApiCallFailed with the error's code, message and
 * per-field issues (for inline form errors).
 */
import type { ApiEnvelope, ApiError, ApiEvent, ApiMethod, ApiRequest, ApiResponse, WorkbenchApi } from '../../../shared/api';
import { EVENTS_PATH, TOKEN_HEADER } from '../../../shared/api-methods';

export class ApiCallFailed extends Error {
  readonly code: ApiError['code'];
  readonly issues: NonNullable<ApiError['issues']>;
  readonly logTail: string[];
  constructor(
    readonly method: string,
    error: ApiError,
  ) {
    super(error.message);
    this.name = 'ApiCallFailed';
    this.code = error.code;
    this.issues = error.issues ?? [];
    this.logTail = error.logTail ?? [];
  }
}

/** A transport: send one call, receive every event. */
export interface Transport {
  invoke(method: ApiMethod, payload: unknown): Promise<ApiEnvelope>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

function unwrap<T>(method: string, envelope: ApiEnvelope): T {
  if (envelope.ok) return envelope.result as T;
  throw new ApiCallFailed(method, envelope.error);
}

export function createApi(transport: Transport): WorkbenchApi {
  return {
    async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
      return unwrap<ApiResponse<M>>(method, await transport.invoke(method, request));
    },
    onEvent: (listener) => transport.onEvent(listener),
  };
}

const TOKEN_KEY = 'simclr-workbench-token';

/**
 * The server token: from the URL fragment `#token=…` on first load (a
 * fragment is never sent to any server, and no cookie is ever used: cookies
 * are not port-scoped and would reach every other server on 127.0.0.1). It is
 * then removed from the address bar, so it is not left in history or shown
 * over a shoulder, and kept for this tab in sessionStorage across reloads.
 * It leaves the page only as the x-workbench-token header (and the event
 * socket's query, to this server).
 */
export function takeToken(loc: Location, storage: Storage, history: History): string | null {
  const m = /^#token=([^&]*)(?:&(.*))?$/.exec(loc.hash);
  const fromUrl = m ? decodeURIComponent(m[1]!) : '';
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    const rest = m![2] ? `#${m![2]}` : '';
    history.replaceState(history.state, '', `${loc.pathname}${loc.search}${rest}`);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY);
}

/** HTTP (POST /api/<method>) for calls, one WebSocket for events, reconnecting with backoff. */
export function httpTransport(opts: { base: string; token: string; fetch?: typeof fetch; WebSocket?: typeof WebSocket }): Transport {
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  const WS = opts.WebSocket ?? WebSocket;
  const listeners = new Set<(event: ApiEvent) => void>();
  let socket: WebSocket | null = null;
  let retry = 500;

  function connect() {
    if (socket || listeners.size === 0) return;
    const url = new URL(EVENTS_PATH, opts.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', opts.token);
    const ws = new WS(url.href);
    socket = ws;
    ws.onopen = () => {
      retry = 500;
    };
    ws.onmessage = (m: MessageEvent) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(m.data)) as ApiEvent;
      } catch {
        return;
      }
      for (const l of listeners) l(event);
    };
    ws.onclose = () => {
      socket = null;
      if (listeners.size > 0) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10_000);
      }
    };
  }

  return {
    async invoke(method, payload) {
      let res: Response;
      try {
        res = await doFetch(new URL(`/api/${method}`, opts.base).href, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: opts.token },
          body: JSON.stringify(payload ?? {}),
        });
      } catch (err) {
        return { ok: false, error: { code: 'internal', message: `the workbench server did not answer (${(err as Error).message}); is \`simclr-workbench serve\` still running?` } };
      }
      try {
        return (await res.json()) as ApiEnvelope;
      } catch {
        return { ok: false, error: { code: 'internal', message: `the server answered ${res.status} without a JSON body` } };
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      connect();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && socket) {
          const s = socket;
          socket = null;
          s.onclose = null;
          s.close();
        }
      };
    },
  };
}

/** A transport that fails every call with the same explanation (no bridge, no token). */
function unavailable(message: string): Transport {
  return {
    invoke: async () => ({ ok: false, error: { code: 'unauthorized', message } }),
    onEvent: () => () => {},
  };
}

export function chooseTransport(win: Window): Transport {
  if (win.workbench) return win.workbench;
  const token = takeToken(win.location, win.sessionStorage, win.history);
  if (!token) return unavailable('no access token: open the URL printed by `simclr-workbench serve` (it ends in #token=...)');
  return httpTransport({ base: win.location.origin, token });
}

export const api: WorkbenchApi = createApi(typeof window !== 'undefined' ? chooseTransport(window) : unavailable('no window'));

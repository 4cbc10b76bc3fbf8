import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, EVENT_CHANNEL, INVOKE_CHANNEL } from '../shared/api-methods.js';
import type { PreloadApi } from './types.js';

// Exactly the typed API crosses into the page: one call function and one
// event subscription. No ipcRenderer, no Node, no other channel. (This script
// is sandboxed: it can import only `electron`, so the method list comes from
// the dependency-free api-methods.ts; the main process validates payloads.)

const methods: readonly string[] = API_METHODS;

const api: PreloadApi = {
  invoke(method, payload) {
    if (!methods.includes(method)) {
      return Promise.resolve({ ok: false, error: { code: 'not_found', message: `unknown API method ${JSON.stringify(method)}` } });
    }
    return ipcRenderer.invoke(INVOKE_CHANNEL, method, payload);
  },
  onEvent(listener) {
    const wrapped = (_event: IpcRendererEvent, data: unknown) => listener(data as Parameters<typeof listener>[0]);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('workbench', api);

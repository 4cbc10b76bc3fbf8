import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { EVENTS_PATH, TOKEN_HEADER, type ApiEnvelope, type ApiEvent } from '../../src/shared/api.js';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from '../../src/shared/api-methods.js';
import { JobHost } from '../../src/engine/jobs/host.js';
import { nodeLauncher, type NodeWorkerEntry } from '../../src/engine/jobs/node-launcher.js';
import { createApiService, type ApiService } from '../../src/service/api-service.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { createInvokeHandler, forwardEvents, registerInvokeHandler, trustedRenderer, type InvokeEventLike } from '../../src/main/ipc.js';
import type { RunningServer } from '../../src/server/serve.js';
import { shipped } from '../support/shipped.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The engine worker that ships: out/cli/worker.js, built by `npm run build`
 * (the pretest step). Tests fork exactly what `npm start` forks.
 */
export function shippedWorker(): NodeWorkerEntry {
  return { modulePath: shipped().worker, args: [] };
}

/** The URL `serve` prints (groups: URL, port, token); the token travels in the query or the fragment. */
export const SERVE_URL = /(http:\/\/127\.0\.0\.1:(\d+)\/[?#]token=([A-Za-z0-9_-]+))/;

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `simclr-${prefix}-`));
}

/** A stand-in renderer build: index.html and one asset. */
export function fakeRenderer(): string {
  const dir = tmpDir('renderer');
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>SimCLR Workbench</title><div id="app"></div>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log("app")');
  return dir;
}

/** Either transport, seen from the renderer's side. */
export interface Client {
  call(method: string, payload?: unknown): Promise<ApiEnvelope>;
  events: ApiEvent[];
  /** resolves with the first event (already received or future) matching `pred` */
  waitFor(pred: (e: ApiEvent) => boolean, timeoutMs?: number, what?: string): Promise<ApiEvent>;
  close(): Promise<void>;
}

function waiter(events: ApiEvent[]) {
  return (pred: (e: ApiEvent) => boolean, timeoutMs = 30_000, what = 'event') =>
    new Promise<ApiEvent>((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        const hit = events.find(pred);
        if (hit) return resolve(hit);
        if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}; saw: ${events.map((e) => e.type).join(', ')}`));
        setTimeout(tick, 20);
      };
      tick();
    });
}

export const RENDERER_INDEX = 'file:///opt/SimCLR%20Workbench/resources/app.asar/out/renderer/index.html';

/** A fake ipcMain: keeps the handlers registered on it and invokes them the way Electron does. */
export class FakeIpcMain {
  readonly handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: InvokeEventLike, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    // Electron passes arguments through the structured clone algorithm.
    return h(event, ...args.map((a) => (a === undefined ? a : structuredClone(a))));
  }
}

export interface IpcSide {
  client: Client;
  service: ApiService;
  host: JobHost;
  ipcMain: FakeIpcMain;
}

/** The desktop app's main-process wiring, with a node launcher in place of utilityProcess. */
export function ipcSide(opts: { entry: NodeWorkerEntry; dataRoot: string; datasetDirs?: string[]; testHooks?: boolean }): IpcSide {
  const settings = new MemorySettings();
  const host = new JobHost({
    launcher: nodeLauncher(opts.entry),
    env: () => ({ SIMCLR_DATA_ROOT: opts.dataRoot, ...(opts.testHooks ? { SIMCLR_WORKBENCH_TEST_HOOKS: '1' } : {}) }),
    concurrency: () => settings.get().jobConcurrency,
  });
  const service = createApiService({
    host,
    settings,
    dataRoot: () => opts.dataRoot,
    datasetDirs: () => opts.datasetDirs ?? [],
    app: { name: 'SimCLR Workbench', version: 'test', shell: 'electron' },
  });
  const ipcMain = new FakeIpcMain();
  registerInvokeHandler(ipcMain, createInvokeHandler(service, trustedRenderer({ rendererIndexUrl: RENDERER_INDEX })));
  const events: ApiEvent[] = [];
  const webContents = {
    isDestroyed: () => false,
    send: (channel: string, event: unknown) => {
      if (channel === EVENT_CHANNEL) events.push(structuredClone(event) as ApiEvent);
    },
  };
  const stop = forwardEvents(service.subscribe, () => [webContents]);
  const frame: InvokeEventLike = { senderFrame: { url: RENDERER_INDEX } };
  const client: Client = {
    call: async (method, payload) => (await ipcMain.invoke(INVOKE_CHANNEL, frame, method, payload)) as ApiEnvelope,
    events,
    waitFor: waiter(events),
    async close() {
      stop();
      await service.close();
    },
  };
  return { client, service, host, ipcMain };
}

/** The browser's side of server mode: fetch for calls, a WebSocket for events. */
export async function httpClient(server: Pick<RunningServer, 'port' | 'token'>): Promise<Client> {
  const base = `http://127.0.0.1:${server.port}`;
  const events: ApiEvent[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${EVENTS_PATH}?token=${server.token}`, { headers: { origin: base } });
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as ApiEvent));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    async call(method, payload) {
      const res = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: server.token, origin: base },
        body: JSON.stringify(payload ?? {}),
      });
      const body = (await res.json()) as ApiEnvelope;
      if (body.ok !== (res.status === 200)) throw new Error(`HTTP ${res.status} does not match the envelope ${JSON.stringify(body)}`);
      return body;
    },
    events,
    waitFor: waiter(events),
    async close() {
      ws.close();
    },
  };
}

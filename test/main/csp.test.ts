import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProtocolHandler } from '../../src/main/app-protocol.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { RENDERER_CSP, rendererCsp } from '../../src/shared/csp.js';
import { fakeRenderer, shippedWorker, tmpDir } from '../server/harness.js';

// One CSP (src/shared/csp.ts), sent by both transports: the app:// handler and the HTTP server.
const directives = (csp: string) => new Map(csp.split(/;\s*/).map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)] as const));

let server: RunningServer;
let renderer: string;
let dataRoot: string;

beforeAll(async () => {
  renderer = fakeRenderer();
  dataRoot = tmpDir('csp-root');
  server = await startServer({ port: 0, dataRoot, rendererDir: renderer, worker: shippedWorker(), settings: new MemorySettings(), log: () => {} });
});

afterAll(async () => {
  await server?.close();
  for (const d of [renderer, dataRoot]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('the renderer CSP', () => {
  it('is strict: scripts and connections from the page origin only, no objects, no framing, no base, no forms', () => {
    const d = directives(RENDERER_CSP);
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('default-src')).toEqual(["'self'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    expect(RENDERER_CSP).not.toMatch(/unsafe-eval|\*/);
  });

  it('is the same in the app (app:// handler) and in server mode, apart from the server socket', async () => {
    const appCsp = (await appProtocolHandler(renderer)(new Request('app://workbench/'))).headers.get('content-security-policy');
    expect(appCsp).toBe(RENDERER_CSP);
    const page = await fetch(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(page.status).toBe(200);
    const serverCsp = page.headers.get('content-security-policy')!;
    expect(serverCsp).toBe(rendererCsp([`ws://127.0.0.1:${server.port}`]));
    const a = directives(appCsp!);
    const s = directives(serverCsp);
    expect([...s.keys()]).toEqual([...a.keys()]);
    for (const [name, values] of a) {
      if (name === 'connect-src') expect(s.get(name)).toEqual([...values, `ws://127.0.0.1:${server.port}`]);
      else expect(s.get(name), name).toEqual(values);
    }
  });
});

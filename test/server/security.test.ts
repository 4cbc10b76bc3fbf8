import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TOKEN_HEADER, type ApiEnvelope } from '../../src/shared/api.js';
import { MemorySettings } from '../../src/service/settings-file.js';
import { UsageError } from '../../src/cli/args.js';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { isLoopback, RemoteBindRefused, startServer, type RunningServer } from '../../src/server/serve.js';
import { shippedWorker, fakeRenderer, tmpDir } from './harness.js';

let server: RunningServer;
const worker = shippedWorker();
let dataRoot: string;
let allowedDir: string;
let outsideDir: string;
let renderer: string;
let base: string;

/** A raw HTTP request (fetch would not let us send a wrong Host header). */
function raw(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function api(method: string, body: unknown, headers: Record<string, string> = {}) {
  return raw({
    method: 'POST',
    path: `/api/${method}`,
    headers: { 'content-type': 'application/json', [TOKEN_HEADER]: server.token, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function envelope(r: { body: string }): ApiEnvelope {
  return JSON.parse(r.body) as ApiEnvelope;
}

function errorOf(r: { body: string }) {
  const e = envelope(r);
  if (e.ok) throw new Error(`expected an error, got ${r.body}`);
  return e.error;
}

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

beforeAll(async () => {
  dataRoot = tmpDir('sec-root');
  allowedDir = tmpDir('sec-allowed');
  outsideDir = tmpDir('sec-outside');
  fs.writeFileSync(path.join(outsideDir, 'secret.bin'), 'not for the page');
  // a symlink inside an allowed folder that points out of it
  fs.symlinkSync(outsideDir, path.join(allowedDir, 'escape'));
  renderer = fakeRenderer();
  server = await startServer({ port: 0, dataRoot, datasetDirs: [allowedDir], rendererDir: renderer, worker: worker, settings: new MemorySettings(), log: () => {} });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  for (const d of [dataRoot, allowedDir, outsideDir, renderer]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('server mode: the token', () => {
  it('is printed in a loopback URL, in the fragment (never sent to a server), and is long and random', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/);
  });

  it('refuses API calls without a token', async () => {
    const r = await raw({ method: 'POST', path: '/api/app.info', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(401);
    expect(errorOf(r)).toMatchObject({ code: 'unauthorized', message: expect.stringContaining(TOKEN_HEADER) });
  });

  it('refuses a wrong token, and the cookie is not accepted for the API', async () => {
    const wrong = await api('app.info', {}, { [TOKEN_HEADER]: server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A') });
    expect(wrong.status).toBe(401);
    const cookieOnly = await raw({
      method: 'POST',
      path: '/api/app.info',
      headers: { 'content-type': 'application/json', cookie: `simclr_workbench_${server.port}=${server.token}` },
      body: '{}',
    });
    expect(cookieOnly.status).toBe(401);
  });

  it('answers with the right token', async () => {
    const r = await api('app.info', {});
    expect(r.status).toBe(200);
    expect(envelope(r)).toMatchObject({ ok: true, result: { shell: 'server', dataRoot } });
  });

  it('serves the static bundle (no secrets in it) without a token, and never sets a cookie', async () => {
    const page = await raw({ path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>SimCLR Workbench</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const asset = await raw({ path: '/assets/app.js' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('text/javascript');
    for (const r of [page, asset, await raw({ path: `/?token=${server.token}` })]) expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('refuses the event socket without the token', async () => {
    expect(await wsStatus(`ws://127.0.0.1:${server.port}/api/events`)).toBe(401);
    expect(await wsStatus(`ws://127.0.0.1:${server.port}/api/events?token=nope`)).toBe(401);
    expect(await wsStatus(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { origin: base })).toBe('open');
  });
});

describe('server mode: origin and host (DNS rebinding)', () => {
  it('refuses another Origin, on the API and the socket', async () => {
    const r = await api('app.info', {}, { origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect(errorOf(r).message).toContain('http://evil.example');
    expect(await wsStatus(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { origin: 'http://evil.example' })).toBe(403);
  });

  it('refuses a Host header that does not name this server, even with the token', async () => {
    const r = await api('app.info', {}, { host: `rebind.evil.example:${server.port}` });
    expect(r.status).toBe(403);
    expect(r.body).toContain('DNS rebinding');
    const otherPort = await api('app.info', {}, { host: `127.0.0.1:${server.port + 1}` });
    expect(otherPort.status).toBe(403);
    expect(await wsStatus(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { host: `evil.example:${server.port}` })).toBe(403);
  });

  it('accepts localhost as the same server', async () => {
    const r = await api('app.info', {}, { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` });
    expect(r.status).toBe(200);
  });
});

describe('server mode: payloads', () => {
  it('refuses an oversized body with 413', async () => {
    const big = JSON.stringify({ patch: { theme: 'dark' }, pad: 'x'.repeat(1024 * 1024 + 10) });
    const r = await api('settings.set', big);
    expect(r.status).toBe(413);
    expect(errorOf(r)).toMatchObject({ code: 'payload_too_large' });
  });

  it('refuses malformed JSON with 400 and the parser message', async () => {
    const r = await api('settings.set', '{"patch": {"theme": "dark"');
    expect(r.status).toBe(400);
    expect(errorOf(r)).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/not valid JSON/) });
  });

  it('refuses a body that is not JSON by content type (415)', async () => {
    const r = await api('app.info', '{}', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
  });

  it('names every invalid field (400)', async () => {
    const r = await api('settings.set', { patch: { theme: 'purple', jobConcurrency: 0 } });
    expect(r.status).toBe(400);
    const e = errorOf(r);
    expect(e.code).toBe('bad_request');
    expect(e.issues?.map((i) => i.path).sort()).toEqual(['patch.jobConcurrency', 'patch.theme']);
    expect(e.message).toContain('patch.theme');
  });

  it('applies the CLI\'s cross-field checks at jobs.start, before any job is queued', async () => {
    const r = await api('jobs.start', { kind: 'train', config: { dataset: allowedDir, epochs: 2, optimizer: { warmupEpochs: 5 } } });
    expect(r.status, r.body).toBe(400);
    const e = errorOf(r);
    expect(e.issues?.map((i) => i.path)).toEqual(['config.optimizer.warmupEpochs']);
    expect(e.message).toMatch(/config\.optimizer\.warmupEpochs: 5 is longer than epochs \(2\)/);
    const jobs = envelope(await api('jobs.list', {}));
    expect(jobs.ok && (jobs.result as { jobs: unknown[] }).jobs).toEqual([]);
  });

  it('refuses unknown fields instead of ignoring them', async () => {
    const r = await api('settings.set', { patch: { datasetDirs: ['/'] } });
    expect(r.status).toBe(400);
    expect(errorOf(r).message).toMatch(/datasetDirs/);
  });

  it('answers an unknown method with 404 and the list of methods', async () => {
    const r = await api('files.read', { path: '/etc/passwd' });
    expect(r.status).toBe(404);
    expect(errorOf(r).message).toContain('backend.info');
  });

  it('answers an unknown run, dataset or job with 404 and a message naming it', async () => {
    const run = await api('runs.show', { runId: 'no-such-run' });
    expect(run.status).toBe(404);
    expect(errorOf(run)).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no run "no-such-run" in .*runs list/) });
    const dataset = await api('datasets.summary', { dataset: { kind: 'cached', id: 'no-such-dataset' } });
    expect(dataset.status).toBe(404);
    expect(errorOf(dataset)).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no cached dataset "no-such-dataset"/) });
    const job = await api('jobs.status', { jobId: 'job-nope' });
    expect(job.status).toBe(404);
    expect(errorOf(job)).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no job "job-nope"/) });
  });

  it('only allows POST on the API', async () => {
    const r = await raw({ path: '/api/app.info', headers: { [TOKEN_HEADER]: server.token } });
    expect(r.status).toBe(400);
    expect(r.headers.allow).toBe('POST');
  });
});

describe('server mode: paths', () => {
  const cases: [string, () => string, number, RegExp][] = [
    ['a file outside every allowed folder', () => '/etc/passwd', 403, /outside the folders/],
    ['a ../ escape from an allowed folder', () => `${allowedDir}/../${path.basename(outsideDir)}/secret.bin`, 403, /outside the folders/],
    ['a symlink inside an allowed folder pointing out of it', () => path.join(allowedDir, 'escape', 'secret.bin'), 403, /outside the folders/],
    ['a relative path', () => '../../etc/passwd', 400, /relative path/],
    ['a missing file inside an allowed folder', () => path.join(allowedDir, 'nope'), 404, /does not exist/],
  ];
  for (const [what, p, status, message] of cases) {
    it(`refuses ${what}`, async () => {
      const r = await api('datasets.summary', { dataset: { kind: 'path', path: p() } });
      expect(r.status, r.body).toBe(status);
      expect(errorOf(r).message).toMatch(message);
    });
  }

  it('refuses a symlinked file inside an allowed folder that leads out of it, reading and caching nothing', async () => {
    const sneaky = path.join(allowedDir, 'sneaky');
    fs.mkdirSync(sneaky, { recursive: true });
    fs.writeFileSync(path.join(sneaky, 'batches.meta.txt'), Array.from({ length: 10 }, (_, i) => `c${i}`).join('\n'));
    fs.symlinkSync(path.join(outsideDir, 'secret.bin'), path.join(sneaky, 'data_batch_1.bin'));
    const r = await api('datasets.summary', { dataset: { kind: 'path', path: sneaky } });
    expect(r.status, r.body).toBe(422);
    expect(errorOf(r).message).toMatch(/data_batch_1\.bin: a symbolic link to .*secret\.bin, outside .*sneaky; not followed/);
    expect(r.body).not.toContain('not for the page');
    const cached = fs.existsSync(path.join(dataRoot, 'datasets')) ? fs.readdirSync(path.join(dataRoot, 'datasets')) : [];
    expect(cached.filter((n) => n.includes('sneaky'))).toEqual([]);
  });

  it('checks the dataset path of a training job too, before any process starts', async () => {
    const r = await api('jobs.start', { kind: 'train', config: { dataset: '/etc' } });
    expect(r.status).toBe(403);
    const out = await api('jobs.start', { kind: 'train', config: { dataset: allowedDir, outDir: outsideDir } });
    expect(out.status).toBe(403);
    expect(errorOf(out).message).toMatch(/outside the data root/);
    const jobs = envelope(await api('jobs.list', {}));
    expect(jobs.ok && (jobs.result as { jobs: unknown[] }).jobs).toEqual([]);
  });

  it('refuses run ids and embedding file names that would leave their folders', async () => {
    for (const [method, body, field] of [
      ['runs.show', { runId: '../../etc' }, 'runId'],
      ['runs.delete', { runId: 'a/b' }, 'runId'],
      ['embeddings.get', { runId: 'r1', file: '../../../etc/passwd' }, 'file'],
      ['embeddings.atlas', { runId: 'r1', file: '/etc/hosts.png' }, 'file'],
    ] as const) {
      const r = await api(method, body);
      expect(r.status, `${method} ${r.body}`).toBe(400);
      expect(errorOf(r).issues?.map((i) => i.path)).toContain(field);
    }
  });

  it('serves no file outside the renderer folder', async () => {
    for (const p of ['/../package.json', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json']) {
      const r = await raw({ path: p });
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('root:');
    }
  });
});

describe('server mode: binding', () => {
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.5', 'example.com'].some(isLoopback)).toBe(false);
  });

  it('refuses a non-loopback host without --allow-remote', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, dataRoot, rendererDir: renderer, worker: worker, log: () => {} })).rejects.toThrow(RemoteBindRefused);
    await expect(serveCommand.run(['--host', '0.0.0.0', '--port', '0', '--data-root', dataRoot])).rejects.toThrow(UsageError);
    await expect(serveCommand.run(['--host', '0.0.0.0', '--port', '0', '--data-root', dataRoot])).rejects.toThrow(/--allow-remote/);
  });

  it('binds another host with --allow-remote, with a warning, and still wants the token', async () => {
    const lines: string[] = [];
    const remote = await startServer({ host: '0.0.0.0', allowRemote: true, port: 0, dataRoot, rendererDir: renderer, worker: worker, settings: new MemorySettings(), log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/WARNING: listening on 0\.0\.0\.0/);
      const res = await fetch(`http://127.0.0.1:${remote.port}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(401);
    } finally {
      await remote.close();
    }
  });

  it('rejects a bad --port', async () => {
    await expect(serveCommand.run(['--port', 'http'])).rejects.toThrow(/not a port number/);
  });
});

describe('server mode: the stored token', () => {
  it('stays the same across restarts for one data root, in a 0600 file, and --new-token replaces it', async () => {
    const root = tmpDir('sec-token');
    try {
      const start = (newToken = false) => startServer({ port: 0, dataRoot: root, rendererDir: renderer, worker, settings: new MemorySettings(), newToken, log: () => {} });
      const first = await start();
      const token = first.token;
      await first.close();
      const file = path.join(root, 'server-token');
      expect(fs.readFileSync(file, 'utf8').trim()).toBe(token);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);

      const second = await start();
      expect(second.token).toBe(token);
      expect(second.url).toContain(`#token=${token}`);
      await second.close();

      fs.chmodSync(file, 0o644); // widened by a copy: narrowed back on the next start
      const rotated = await start(true);
      try {
        expect(rotated.token).not.toBe(token);
        expect(rotated.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        const call = (t: string) => fetch(`http://127.0.0.1:${rotated.port}/api/app.info`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: t }, body: '{}' });
        expect((await call(token)).status).toBe(401); // the old token no longer works
        expect((await call(rotated.token)).status).toBe(200);
      } finally {
        await rotated.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('replaces a malformed token file instead of trusting it', async () => {
    const root = tmpDir('sec-token-bad');
    try {
      fs.writeFileSync(path.join(root, 'server-token'), 'short\n');
      const s = await startServer({ port: 0, dataRoot: root, rendererDir: renderer, worker, settings: new MemorySettings(), log: () => {} });
      await s.close();
      expect(s.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(fs.readFileSync(path.join(root, 'server-token'), 'utf8').trim()).toBe(s.token);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

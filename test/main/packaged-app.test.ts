import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { electronBinary } from '../../scripts/lib/start-checks.mjs';

/*
 * The desktop app for real: start it under Xvfb, wait for its window on
 * app://workbench, call `backend.info` and `app.info` through the preload's IPC
 * bridge (the renderer -> main -> engine utility process path), close the
 * window and expect the app to quit cleanly. Driven over Chromium's DevTools
 * port (--remote-debugging-port); Node's --inspect is fused off in the package.
 * Runs against the packaged app (npm run dist -- --linux dir) and, separately,
 * the unpackaged build (electron + out/). Each skips, saying why, where its
 * Electron binary or a display server is missing.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A real Electron ships Chromium's licence file; a stand-in binary does not. */
function realElectronDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'LICENSES.chromium.html'));
}

const packagedExe = path.join(ROOT, 'dist', 'linux-unpacked', 'simclr-workbench');
const packaged = process.platform === 'linux' && fs.existsSync(packagedExe) && realElectronDir(path.dirname(packagedExe)) ? packagedExe : null;
const devElectron = electronBinary(ROOT);
const built = fs.existsSync(path.join(ROOT, 'out', 'main', 'index.js'));
const xvfb = spawnSync('sh', ['-c', 'command -v Xvfb'], { encoding: 'utf8' }).stdout.trim() || null;
const display = (process.env.DISPLAY || xvfb) ? null : 'no X display: neither $DISPLAY nor Xvfb (apt-get install xvfb)';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The app must load its own app:// page, not a dev server named in the environment. */
function withoutDevServer(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { ELECTRON_RENDERER_URL: _dev, ...rest } = env;
  return rest;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startDisplay(): Promise<string> {
  if (process.env.DISPLAY) return process.env.DISPLAY;
  const n = 90 + Math.floor(Math.random() * 400);
  const x = spawn(xvfb!, [`:${n}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  children.push(x);
  for (let i = 0; i < 50 && !fs.existsSync(`/tmp/.X11-unix/X${n}`); i++) await new Promise((r) => setTimeout(r, 100));
  return `:${n}`;
}

/** window.workbench, the preload's bridge (the test's tsconfig has no DOM types) */
type Bridge = { workbench: { invoke(method: string, payload: unknown): Promise<unknown> } };

async function smoke(command: string, args: string[]): Promise<void> {
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-app-smoke-'));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-app-user-'));
  dirs.push(dataRoot, userData);
  const port = await freePort();
  const rootUser = process.getuid?.() === 0; // Chromium refuses to run as root with its sandbox on
  const app = spawn(command, [...args, `--remote-debugging-port=${port}`, `--user-data-dir=${userData}`, ...(rootUser ? ['--no-sandbox'] : [])], {
    // userData (settings, the single-instance lock) in a fresh folder: XDG_CONFIG_HOME is where Electron puts it on Linux
    env: { ...withoutDevServer(process.env), DISPLAY: await startDisplay(), SIMCLR_DATA_ROOT: dataRoot, XDG_CONFIG_HOME: userData, ELECTRON_ENABLE_LOGGING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(app);
  let log = '';
  app.stdout!.on('data', (c) => (log += c));
  app.stderr!.on('data', (c) => (log += c));
  const exited = new Promise<number | null>((resolve) => app.on('exit', (code) => resolve(code)));

  let browser: Browser | null = null;
  for (let i = 0; i < 100 && !browser; i++) {
    browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`).catch(() => null);
    if (!browser) await new Promise((r) => setTimeout(r, 200));
  }
  expect(browser, `no DevTools endpoint; app log:\n${log}`).not.toBeNull();
  const context = browser!.contexts()[0]!;
  let page = context.pages().find((p) => p.url().startsWith('app://workbench/'));
  page ??= await context.waitForEvent('page', { predicate: (p) => p.url().startsWith('app://workbench/'), timeout: 30_000 });
  await page.waitForFunction(() => typeof (globalThis as { workbench?: unknown }).workbench === 'object', null, { timeout: 30_000 });

  const backend = await page.evaluate(() => (globalThis as unknown as Bridge).workbench.invoke('backend.info', {}));
  // The native modules load in the app's utility process exactly when they load for the CLI here:
  // the same backend and source (tfjs-node from app.asar.unpacked, else wasm from its .wasm files).
  const cli = JSON.parse(spawnSync(process.execPath, [path.join(ROOT, 'bin', 'simclr-workbench.js'), 'backend', '--json'], { encoding: 'utf8', env: withoutDevServer(process.env) }).stdout);
  expect(backend, log).toMatchObject({ ok: true, result: { name: cli.name, source: cli.source } });
  const info = await page.evaluate(() => (globalThis as unknown as Bridge).workbench.invoke('app.info', {}));
  expect(info).toMatchObject({ ok: true, result: { shell: 'electron', dataRoot } });

  await page.evaluate(() => (globalThis as unknown as { close(): void }).close()).catch(() => {}); // the page goes away with the window
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
  await browser!.close().catch(() => {});
  expect(code, `the app did not quit cleanly after its window closed; log:\n${log}`).toBe(0);
}

describe('the desktop app under Xvfb', () => {
  const packagedSkip = !packaged ? 'no packaged app with a real Electron under dist/linux-unpacked (npm run dist needs Electron\'s zip, which cannot be downloaded offline)' : display;
  it.skipIf(packagedSkip)(`packaged: opens its window, answers backend.info over IPC, quits${packagedSkip ? ` — SKIPPED: ${packagedSkip}` : ''}`, () => smoke(packaged!, []), 120_000);

  const devSkip = !devElectron ? "no Electron binary (node_modules/electron/dist is absent: Electron downloads it on first require, impossible offline)" : !built ? 'out/ is not built (npm run build)' : display;
  it.skipIf(devSkip)(`unpackaged build: the same${devSkip ? ` — SKIPPED: ${devSkip}` : ''}`, () => smoke(devElectron!, [ROOT]), 120_000);
});

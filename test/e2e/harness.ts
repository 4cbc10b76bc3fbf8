/**
 * End-to-end harness: the app exactly as a user runs it in server mode
 * (`simclr-workbench serve` on loopback, with a temporary data root), driven
 * by Debian's Chromium through playwright-core.
 *
 * It drives the shipped build (out/cli, out/renderer from `npm run build`,
 * started through bin/simclr-workbench.js), never a bundle of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, shipped } from '../support/shipped.js';

export { ROOT };
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHARED_DATA = path.resolve(ROOT, '..', 'shared', 'data');
export const CIFAR10 = path.join(SHARED_DATA, 'cifar-10-batches-bin');

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `simclr-e2e-${prefix}-`));
}

export interface Served {
  url: string;
  dataRoot: string;
  output: string[];
  stop(): Promise<void>;
}

/** `simclr-workbench serve --port 0`, resolved once it prints its URL. */
export async function serve(opts: { dataRoot: string; datasetDirs?: string[]; port?: number; args?: string[] }): Promise<Served> {
  const args = [
    shipped().bin,
    'serve',
    '--port',
    String(opts.port ?? 0),
    '--data-root',
    opts.dataRoot,
    ...(opts.datasetDirs ?? []).flatMap((d) => ['--dataset-dir', d]),
    ...(opts.args ?? []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SIMCLR_DATA_ROOT: opts.dataRoot } });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 60 s:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const m = /(http:\/\/127\.0\.0\.1:\d+\/#token=[^\s]+)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output.join('')}`));
    });
  });
  return {
    url,
    dataRoot: opts.dataRoot,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A page that fails the test on uncaught errors and CSP violations (collected, checked by the caller). */
export async function openPage(browser: Browser, url: string, opts: { dark?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, colorScheme: opts.dark ? 'dark' : 'light', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return { page, problems };
}

/**
 * Save a screenshot for the docs: the view scrolled to the top, as a
 * palette PNG (a few hundred KB at most, where a truecolour one with
 * photos in it is often over half a megabyte).
 */
export async function shot(page: Page, name: string, opts: { keepScroll?: boolean } = {}): Promise<string> {
  // Only a deliberate run (SIMCLR_SCREENSHOTS=1) replaces the committed pictures;
  // ordinary test runs write them under out/ so the work tree stays clean.
  const dir = process.env.SIMCLR_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : path.join(ROOT, 'out', 'e2e-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  if (!opts.keepScroll) await page.locator('#main').evaluate((el) => el.scrollTo(0, 0));
  const png = await page.screenshot({ fullPage: false });
  const { default: sharp } = await import('sharp');
  await sharp(png).png({ palette: true, colours: 256, quality: 90, effort: 8 }).toFile(file);
  return file;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILD_INPUTS, BUILD_OUTPUTS, buildStaleReason, electronBinary, npmCommand } from '../../scripts/lib/start-checks.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-start-'));
  dirs.push(root);
  const old = new Date(Date.now() - 60_000);
  for (const rel of ['src/main/index.ts', 'package.json']) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), 'x');
    fs.utimesSync(path.join(root, rel), old, old);
    fs.utimesSync(path.dirname(path.join(root, rel)), old, old);
  }
  fs.utimesSync(path.join(root, 'src'), old, old);
  return root;
}

function writeOutputs(root: string): void {
  for (const rel of BUILD_OUTPUTS) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), 'built');
  }
}

describe('npm start: build only when sources are newer than out/', () => {
  it('builds when an output is missing, not when all are newer than every input, and again after an edit', () => {
    const root = project();
    expect(buildStaleReason(root)).toBe('out/main/index.js is missing');
    writeOutputs(root);
    expect(buildStaleReason(root)).toBeNull();
    fs.rmSync(path.join(root, 'out/cli/worker.js'));
    expect(buildStaleReason(root)).toBe('out/cli/worker.js is missing');
    writeOutputs(root);
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(path.join(root, 'src/main/index.ts'), later, later);
    expect(buildStaleReason(root)).toBe('src changed since the last build');
  });

  it('watches the sources and configs the build reads', () => {
    expect(BUILD_INPUTS).toEqual(expect.arrayContaining(['src', 'package.json', 'electron.vite.config.ts', 'scripts/build-cli.mjs']));
    expect(BUILD_OUTPUTS).toEqual(expect.arrayContaining(['out/cli/cli.js', 'out/cli/worker.js', 'out/renderer/index.html', 'out/main/index.js']));
  });
});

describe('npm start: finding Electron without running its downloader', () => {
  it('is null where the binary was never downloaded, and finds it from path.txt or ELECTRON_OVERRIDE_DIST_PATH', () => {
    const root = project();
    const pkg = path.join(root, 'node_modules', 'electron');
    fs.mkdirSync(pkg, { recursive: true });
    // index.js would download the binary when required: it must never run.
    fs.writeFileSync(path.join(pkg, 'index.js'), 'throw new Error("required")');
    expect(electronBinary(root, {})).toBeNull();
    fs.writeFileSync(path.join(pkg, 'path.txt'), 'electron');
    expect(electronBinary(root, {})).toBeNull(); // path.txt without dist/
    fs.mkdirSync(path.join(pkg, 'dist'));
    fs.writeFileSync(path.join(pkg, 'dist', 'electron'), '');
    expect(electronBinary(root, {})).toBe(path.join(pkg, 'dist', 'electron'));
    const override = path.join(root, 'custom');
    expect(electronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: override })).toBeNull();
    fs.mkdirSync(override);
    fs.writeFileSync(path.join(override, 'electron'), '');
    expect(electronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: override })).toBe(path.join(override, 'electron'));
  });

  it('runs npm through the npm that started the script (no bare npm.cmd spawn on Windows)', () => {
    expect(npmCommand(['run', 'build'], { npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' })).toEqual({ command: process.execPath, args: ['/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'build'], shell: false });
    const fallback = npmCommand(['run', 'build'], {});
    expect(fallback.args).toEqual(['run', 'build']);
    expect(fallback.shell).toBe(process.platform === 'win32');
  });
});

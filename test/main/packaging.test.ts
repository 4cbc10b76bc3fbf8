import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';

// electron-builder.yml against the files it names and the installed dependencies.
const ROOT = path.resolve(import.meta.dirname, '../..');
interface BuilderConfig {
  files: string[];
  asarUnpack: string[];
  afterPack: string;
  publish: unknown;
  executableName: string;
  directories: { buildResources: string };
  linux: { icon: string; desktop: { entry: Record<string, string> } };
  mac: { icon: string };
  win: { icon: string };
}
const config = yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;

/** Files Node or emscripten load as native code / binary modules: they cannot stay inside app.asar. */
const NATIVE = /\.(node|dll|dylib|wasm)$|\.so(\.\d+)*$/;

/** The production dependency closure (dependencies + optionalDependencies), as installed. */
function productionPackages(): string[] {
  const seen = new Set<string>();
  const visit = (fromDir: string, deps: Record<string, string>) => {
    for (const name of Object.keys(deps)) {
      // Node's lookup: <dir>/node_modules/<name>, from the requiring package up to the project root
      let found: string | null = null;
      for (let dir = fromDir; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, 'node_modules', name);
        if (fs.existsSync(path.join(candidate, 'package.json'))) {
          found = candidate;
          break;
        }
        if (dir === ROOT || dir === path.dirname(dir)) break;
      }
      if (!found || seen.has(found)) continue; // an optional dependency that is not installed
      seen.add(found);
      const pkg = JSON.parse(fs.readFileSync(path.join(found, 'package.json'), 'utf8'));
      visit(found, { ...pkg.dependencies, ...pkg.optionalDependencies });
    }
  };
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  visit(ROOT, { ...pkg.dependencies, ...pkg.optionalDependencies });
  return [...seen];
}

function nativeFiles(pkgDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules') continue; // nested packages are visited as packages
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (NATIVE.test(e.name)) out.push(p);
    }
  };
  walk(pkgDir);
  return out;
}

describe('electron-builder.yml', () => {
  it('unpacks every native file of the production dependencies from app.asar', () => {
    const packages = productionPackages();
    expect(packages.some((p) => p.endsWith(path.join('node_modules', 'sharp')))).toBe(true);
    const files = packages.flatMap(nativeFiles).map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
    // what this install must contain for the check to mean anything
    expect(files.some((f) => f.startsWith('node_modules/@tensorflow/tfjs-backend-wasm/') && f.endsWith('.wasm'))).toBe(true);
    expect(files.some((f) => f.startsWith('node_modules/@img/') && /\.(node|so[.\d]*)$/.test(f))).toBe(true);
    expect(files.some((f) => f.startsWith('node_modules/webgpu/') && f.endsWith('dawn.node'))).toBe(true);
    const excluded = config.files.filter((g) => g.startsWith('!node_modules/')).map((g) => g.slice(1));
    const shipped = files.filter((f) => !excluded.some((g) => minimatch(f, g, { dot: true })));
    expect(shipped.length).toBeGreaterThan(0);
    const packed = shipped.filter((f) => !config.asarUnpack.some((g) => minimatch(f, g, { dot: true })));
    expect(packed, 'native files that would stay inside app.asar').toEqual([]);
  });

  it('names files that exist: the afterPack hook, the icons', async () => {
    const hook = await import(path.join(ROOT, config.afterPack));
    expect(typeof hook.default).toBe('function');
    for (const icon of [config.linux.icon, config.mac.icon, config.win.icon]) expect(fs.existsSync(path.join(ROOT, icon)), icon).toBe(true);
    expect(fs.existsSync(path.join(ROOT, config.linux.icon, '512x512.png'))).toBe(true);
    expect(config.directories.buildResources).toBe('resources');
  });

  it('has the desktop entry metadata and no publish target (no uploads, no update feed yet)', () => {
    const entry = config.linux.desktop.entry;
    expect(entry.Name).toBe('SimCLR Workbench');
    expect(entry.Comment).toBeTruthy();
    expect(entry.Categories.split(';')).toContain('Science');
    expect(config.publish).toBeNull();
    expect(config.executableName).toBe('simclr-workbench');
  });
});

// What `npm run dist -- --linux dir` produced, where it exists.
const packagedAsar = path.join(ROOT, 'dist', 'linux-unpacked', 'resources', 'app.asar');
interface AsarNode {
  files?: Record<string, AsarNode>;
  unpacked?: boolean;
}
/** app.asar's header: a Chromium pickle whose JSON string length sits at byte 12 and the JSON at 16. */
function asarHeader(file: string): AsarNode {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    fs.readSync(fd, head, 0, 16, 0);
    const json = Buffer.alloc(head.readUInt32LE(12));
    fs.readSync(fd, json, 0, json.length, 16);
    return JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: not an asar archive (${(err as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}
function asarFiles(node: AsarNode, prefix = ''): Array<{ path: string; unpacked: boolean }> {
  return Object.entries(node.files ?? {}).flatMap(([name, child]) =>
    child.files ? asarFiles(child, `${prefix}${name}/`) : [{ path: `${prefix}${name}`, unpacked: child.unpacked === true }],
  );
}

describe('the packaged app.asar', () => {
  const skip = fs.existsSync(packagedAsar) ? false : 'no dist/linux-unpacked (npm run dist; offline it needs Electron\'s zip or node_modules/electron/dist)';
  it.skipIf(skip)(`holds only the built app and production modules, native files unpacked${skip ? ` — SKIPPED: ${skip}` : ''}`, () => {
    const header = asarHeader(packagedAsar);
    expect(Object.keys(header.files!).sort()).toEqual(['node_modules', 'out', 'package.json']);
    expect(Object.keys(header.files!.out!.files!).sort()).toEqual(['main', 'preload', 'renderer']);
    const files = asarFiles(header);
    expect(files.filter((f) => f.path.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => NATIVE.test(f.path) && !f.unpacked).map((f) => f.path)).toEqual([]);
    const unpackedDir = `${packagedAsar}.unpacked`;
    for (const f of files.filter((x) => x.unpacked && NATIVE.test(x.path))) expect(fs.existsSync(path.join(unpackedDir, f.path)), f.path).toBe(true);
    expect(files.some((f) => f.path.startsWith('node_modules/webgpu/dist/win32-'))).toBe(false);
  });
});

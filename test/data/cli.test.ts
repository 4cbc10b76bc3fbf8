import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { datasetsCommand } from '../../src/cli/commands/datasets.js';
import { startServer, tarGz, tmpDir, writeCifar10Folder, type TestServer } from './fixtures.js';

const tmp = tmpDir('cli');
const root = path.join(tmp, 'root');
let server: TestServer;
let src: string;

beforeAll(async () => {
  src = writeCifar10Folder(path.join(tmp, 'src', 'cifar-10-batches-bin'), 12, 6);
  const archive = await tarGz(path.join(tmp, 'cifar-10-binary.tar.gz'), path.join(tmp, 'src'), ['cifar-10-batches-bin']);
  server = await startServer({ 'cifar-10-binary.tar.gz': fs.readFileSync(archive) });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

/** Run `simclr-workbench datasets ...` in process; stdout lines and exit code. */
async function run(...argv: string[]): Promise<{ rc: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  try {
    const rc = (await datasetsCommand.run(argv)) ?? 0;
    return { rc, out: out.join('\n'), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('simclr-workbench datasets', () => {
  it('imports a folder, then lists it, shows its info and verifies it', async () => {
    const imp = await run('import', src, '--id', 'mini', '--data-root', root);
    expect(imp.rc).toBe(0);
    expect(imp.out).toMatch(/^id {8}mini$/m);
    expect(imp.out).toMatch(/^train {5}60 images 32x32x3/m);
    // writeCifar10Folder labels record i of batch b as (i + b) % 10
    const perClass = new Array(10).fill(0);
    for (let b = 1; b <= 5; b++) for (let i = 0; i < 12; i++) perClass[(i + b) % 10]++;
    expect(imp.out).toContain(`per class ${perClass.join(' ')}\n`);
    expect(imp.out).toContain(`cached    ${path.join(root, 'datasets', 'mini', 'dataset.bin')}`);

    const list = await run('list', '--data-root', root);
    expect(list.out).toMatch(/^mini\s+cifar10\s+10\s+32x32x3\s+train 60, test 6$/m);

    const info = await run('info', 'mini', '--json', '--data-root', root);
    const summary = JSON.parse(info.out);
    expect(summary.splits.map((s: { name: string; count: number }) => `${s.name}:${s.count}`)).toEqual(['train:60', 'test:6']);
    expect(summary.classNames[6]).toBe('frog');

    const ok = await run('verify', 'mini', '--data-root', root);
    expect(ok.rc).toBe(0);
    expect(ok.out).toMatch(/^ok {4}content checksum: sha256 [0-9a-f]{64}$/m);

    const file = path.join(root, 'datasets', 'mini', 'dataset.bin');
    const b = fs.readFileSync(file);
    b[b.length - 1000] ^= 1;
    fs.writeFileSync(file, b);
    const bad = await run('verify', 'mini', '--data-root', root);
    expect(bad.rc).toBe(1);
    expect(bad.out).toMatch(/^FAIL {2}content checksum: .*the cache is damaged/m);
  });

  it('downloads from a mirror, refusing a file whose MD5 is not the published one', async () => {
    await expect(run('download', 'cifar10', '--mirror', server.url, '--data-root', root)).rejects.toThrow(/checksum mismatch: .*published MD5 is c32a1d4ab5d03f1284b67883e8d87530/);
    const err = await run('list', '--data-root', root);
    expect(err.out).not.toMatch(/^cifar10 /m);
  });

  it('verifies a downloaded file against its published checksum', async () => {
    const f = path.join(tmp, 'train-labels-idx1-ubyte.gz');
    fs.writeFileSync(f, 'not the real file');
    const r = await run('verify', f, '--data-root', root);
    expect(r.rc).toBe(1);
    expect(r.out).toMatch(/^FAIL {2}published MD5: MD5 [0-9a-f]{32}, published 25c81989df183df01b3e8a0aad5dffbe/m);
  });

  it('explains usage mistakes', async () => {
    await expect(run('frobnicate')).rejects.toBeInstanceOf(UsageError);
    await expect(run('download', 'imagenet')).rejects.toThrow(/give one of cifar10, cifar100, cifar100-coarse, fashion-mnist/);
    await expect(run('import', src, '--size', '7')).rejects.toThrow(/--size 7: give a whole number of pixels, 8 to 1024/);
    await expect(run('import', src, '--labels', 'medium')).rejects.toThrow(/--labels medium: give fine or coarse/);
    expect((await run('--help')).out).toContain('usage: simclr-workbench datasets');
  });
});

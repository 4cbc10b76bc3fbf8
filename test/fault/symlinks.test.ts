/**
 * Issue 23 items 2 and 15: a symbolic link inside an allowed dataset folder
 * that points outside it is not followed (nothing read, nothing cached), and
 * messages say what happened: symbolic links, unsafe archive paths.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src/engine/data/index.js';
import { listArchive } from '../../src/engine/data/archive.js';
import { scanImageFolder } from '../../src/engine/data/folder.js';
import { CIFAR10_DIR } from '../support/shared-data.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-links-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('symbolic links in dataset folders', () => {
  it('a CIFAR folder whose data_batch_1.bin links outside it is refused before anything is read or cached', async () => {
    const folder = path.join(tmp, 'sneaky');
    fs.mkdirSync(folder);
    fs.copyFileSync(path.join(CIFAR10_DIR, 'batches.meta.txt'), path.join(folder, 'batches.meta.txt'));
    const secret = path.join(tmp, 'secret.bin');
    fs.writeFileSync(secret, Buffer.alloc(3073 * 10, 1)); // shaped like 10 CIFAR records, so only the link check can stop it
    fs.symlinkSync(secret, path.join(folder, 'data_batch_1.bin'));
    const root = path.join(tmp, 'root');
    await expect(importDataset(folder, { dataRoot: root })).rejects.toThrow(/data_batch_1\.bin: a symbolic link to .*secret\.bin, outside .*sneaky; not followed/);
    expect(fs.existsSync(path.join(root, 'datasets'))).toBe(false);
  });

  it('a link that stays inside the folder is fine', async () => {
    const folder = path.join(tmp, 'inside');
    fs.mkdirSync(path.join(folder, 'real'), { recursive: true });
    fs.copyFileSync(path.join(CIFAR10_DIR, 'batches.meta.txt'), path.join(folder, 'batches.meta.txt'));
    fs.writeFileSync(path.join(folder, 'real', 'b1.bin'), fs.readFileSync(path.join(CIFAR10_DIR, 'data_batch_1.bin')).subarray(0, 3073 * 10));
    fs.symlinkSync(path.join(folder, 'real', 'b1.bin'), path.join(folder, 'data_batch_1.bin'));
    const r = await importDataset(folder, { dataRoot: path.join(tmp, 'root2'), cache: false });
    expect(r.dataset.splits.train.count).toBe(10);
  });

  it('an image folder reports a symlinked image as a symbolic link, not as a wrong format', () => {
    const folder = path.join(tmp, 'images');
    fs.mkdirSync(path.join(folder, 'cat'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'dog'), { recursive: true });
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    fs.writeFileSync(path.join(folder, 'cat', 'a.png'), png);
    fs.writeFileSync(path.join(folder, 'dog', 'b.png'), png);
    fs.symlinkSync(path.join(tmp, 'secret.bin'), path.join(folder, 'dog', 'c.png'));
    const scan = scanImageFolder(folder);
    expect(scan.items.map((i) => path.basename(i.file)).sort()).toEqual(['a.png', 'b.png']);
    expect(scan.warnings.join('\n')).toMatch(/1 symbolic links ignored: symbolic link, not followed \(e\.g\. .*c\.png\)/);
    expect(scan.warnings.join('\n')).not.toMatch(/not PNG, JPEG or WebP/);
  });
});

describe('archives', () => {
  it("a '..' member is reported as an unsafe path, refused (not as a corrupt download)", async () => {
    // a minimal ustar archive with one member named ../evil.txt
    const header = Buffer.alloc(512);
    header.write('../evil.txt', 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write('00000000003\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\x0000', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const body = Buffer.alloc(512);
    body.write('hi\n');
    const file = path.join(tmp, 'bad.tar');
    fs.writeFileSync(file, Buffer.concat([header, body, Buffer.alloc(1024)]));
    await expect(listArchive(file)).rejects.toThrow(/member "\.\.\/evil\.txt" has an unsafe path \(absolute or '\.\.'\), refused/);
    expect(fs.existsSync(path.join(path.dirname(tmp), 'evil.txt'))).toBe(false);
  });
});

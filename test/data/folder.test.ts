import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFolder } from '../../src/engine/data/folder.js';
import { imageBytes } from '../../src/engine/data/types.js';
import { tmpDir, writeImage } from './fixtures.js';

const tmp = tmpDir('folder');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const pixelsOf = (set: { images: Uint8Array; height: number; width: number; channels: 1 | 3 }, i: number) => {
  const n = imageBytes(set as never);
  return Buffer.from(set.images.subarray(i * n, (i + 1) * n));
};

describe('image folder with class subfolders', () => {
  const root = path.join(tmp, 'pets');
  const raws: Record<string, Buffer> = {};
  beforeAll(async () => {
    // cat: 3 PNG, dog: 2 lossless WebP + 1 JPEG, all 32x32; plus junk that must be ignored or skipped
    for (let i = 0; i < 3; i++) raws[`cat/c${i}.png`] = await writeImage(path.join(root, 'cat', `c${i}.png`), 32, 32, i);
    for (let i = 0; i < 2; i++) raws[`dog/d${i}.webp`] = await writeImage(path.join(root, 'dog', `d${i}.webp`), 32, 32, 10 + i, 'webp');
    raws['dog/sub/d9.jpg'] = await writeImage(path.join(root, 'dog', 'sub', 'd9.jpg'), 32, 32, 20, 'jpeg');
    fs.writeFileSync(path.join(root, 'cat', 'broken.png'), Buffer.from('this is not a PNG file'));
    const good = fs.readFileSync(path.join(root, 'cat', 'c0.png'));
    fs.writeFileSync(path.join(root, 'dog', 'cut.png'), good.subarray(0, Math.floor(good.length / 2)));
    const jpg = fs.readFileSync(path.join(root, 'dog', 'sub', 'd9.jpg'));
    fs.writeFileSync(path.join(root, 'dog', 'sub', 'half.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    fs.writeFileSync(path.join(root, 'dog', 'notes.txt'), 'not an image');
    fs.writeFileSync(path.join(root, '.DS_Store'), 'x');
  });

  it('labels by sorted folder name, keeps lossless pixels exact, skips and reports undecodable files', async () => {
    const { dataset, report } = await readImageFolder(root);
    expect(dataset.format).toBe('folder');
    expect(dataset.classNames).toEqual(['cat', 'dog']);
    const s = dataset.splits.train;
    expect([s.count, s.height, s.width, s.channels]).toEqual([6, 32, 32, 3]);
    expect(Array.from(s.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    // file order: cat/c0..c2, dog/d0.webp, dog/d1.webp, dog/sub/d9.jpg
    expect(pixelsOf(s, 0).equals(raws['cat/c0.png']!)).toBe(true);
    expect(pixelsOf(s, 2).equals(raws['cat/c2.png']!)).toBe(true);
    expect(pixelsOf(s, 4).equals(raws['dog/d1.webp']!)).toBe(true);
    // JPEG is lossy: close, not exact
    const jpg = pixelsOf(s, 5);
    const want = raws['dog/sub/d9.jpg']!;
    let err = 0;
    for (let i = 0; i < jpg.length; i++) err += Math.abs(jpg[i]! - want[i]!);
    expect(err / jpg.length).toBeLessThan(6);

    expect(report.skipped.map((x) => path.relative(root, x.file))).toEqual(['cat/broken.png', 'dog/cut.png', 'dog/sub/half.jpg']);
    for (const x of report.skipped) expect(x.reason).toMatch(/^cannot decode: /);
    expect(report.warnings.some((w) => w.includes('cat/broken.png: skipped, cannot decode'))).toBe(true);
    expect(report.warnings.some((w) => /1 files that are not PNG, JPEG or WebP ignored \(e\.g\. .*notes\.txt\)/.test(w))).toBe(true);
    expect(report.sizes).toEqual({ '32x32': 6 });
    expect(report.resized).toBe(0);
  });

  it('resizes to a chosen square size (96 and 224)', async () => {
    for (const size of [96, 224]) {
      const { dataset, report } = await readImageFolder(root, { size });
      const s = dataset.splits.train;
      expect([s.count, s.height, s.width, s.images.length]).toEqual([6, size, size, 6 * size * size * 3]);
      expect(report.resized).toBe(6);
      // a smooth gradient stays a gradient: the red channel grows along x in the upscaled image
      const img = pixelsOf(s, 0);
      expect(img[3 * (size * (size / 2) + size - 4)]!).toBeGreaterThan(img[3 * (size * (size / 2) + 4)]!);
    }
  });

  it('converts to one channel on request', async () => {
    const { dataset } = await readImageFolder(root, { grayscale: true });
    expect(dataset.splits.train.channels).toBe(1);
    expect(dataset.splits.train.images.length).toBe(6 * 32 * 32);
  });
});

describe('image folder bad input and other layouts', () => {
  it('fails on an empty class folder, naming it', async () => {
    const root = path.join(tmp, 'empty-class');
    await writeImage(path.join(root, 'a', '1.png'), 8, 8, 1);
    fs.mkdirSync(path.join(root, 'b'));
    fs.writeFileSync(path.join(root, 'b', 'readme.txt'), 'no images here');
    await expect(readImageFolder(root)).rejects.toThrow(new RegExp(`${path.join(root, 'b')}: class folder "b" has no PNG, JPEG or WebP images; add images to it or remove the folder`));
  });

  it('fails when every image of a class is undecodable', async () => {
    const root = path.join(tmp, 'dead-class');
    await writeImage(path.join(root, 'a', '1.png'), 8, 8, 1);
    fs.mkdirSync(path.join(root, 'b'));
    fs.writeFileSync(path.join(root, 'b', 'x.png'), 'garbage');
    await expect(readImageFolder(root)).rejects.toThrow(/class "b": none of its images could be decoded/);
  });

  it('resizes mixed sizes to the most common one and reports them', async () => {
    const root = path.join(tmp, 'mixed');
    for (let i = 0; i < 3; i++) await writeImage(path.join(root, 'x', `s${i}.png`), 32, 32, i);
    await writeImage(path.join(root, 'x', 'big.png'), 64, 48, 7);
    await writeImage(path.join(root, 'y', 'tall.png'), 20, 40, 8);
    const { dataset, report } = await readImageFolder(root);
    const s = dataset.splits.train;
    expect([s.count, s.width, s.height]).toEqual([5, 32, 32]);
    expect(report.sizes).toEqual({ '32x32': 3, '64x48': 1, '20x40': 1 });
    expect(report.resized).toBe(2);
    expect(report.warnings.join('\n')).toMatch(/images have mixed sizes \(32x32: 3, .*64x48: 1.*\); all were centre-cropped and resized to 32x32/);
  });

  it('reads a flat folder as unlabeled', async () => {
    const root = path.join(tmp, 'flat');
    for (let i = 0; i < 4; i++) await writeImage(path.join(root, `img${i}.png`), 16, 16, i);
    const { dataset } = await readImageFolder(root);
    expect(dataset.classNames).toEqual([]);
    expect(Array.from(dataset.splits.train.labels)).toEqual([-1, -1, -1, -1]);
  });

  it('reads train/test split folders with the same classes', async () => {
    const root = path.join(tmp, 'splits');
    await writeImage(path.join(root, 'train', 'a', '1.png'), 16, 16, 1);
    await writeImage(path.join(root, 'train', 'b', '1.png'), 16, 16, 2);
    await writeImage(path.join(root, 'train', 'b', '2.png'), 16, 16, 3);
    await writeImage(path.join(root, 'test', 'b', '1.png'), 16, 16, 4);
    const { dataset } = await readImageFolder(root);
    expect(dataset.classNames).toEqual(['a', 'b']);
    expect(Array.from(dataset.splits.train.labels)).toEqual([0, 1, 1]);
    expect(Array.from(dataset.splits.test!.labels)).toEqual([1]);
  });

  it('applies EXIF orientation and composites alpha over black', async () => {
    const root = path.join(tmp, 'exif');
    fs.mkdirSync(path.join(root, 'k'), { recursive: true });
    // 2x1 image stored sideways (orientation 6 = rotate 90 clockwise to view)
    await sharp(Buffer.from([255, 0, 0, 0, 0, 255]), { raw: { width: 2, height: 1, channels: 3 } })
      .resize(20, 10, { kernel: 'nearest' })
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 100 })
      .toFile(path.join(root, 'k', 'rot.jpg'));
    // a fully transparent white PNG becomes black
    await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } }).png().toFile(path.join(root, 'k', 'alpha.png'));
    const { dataset } = await readImageFolder(root, { size: 10 });
    const s = dataset.splits.train;
    const alpha = pixelsOf(s, 0);
    expect(Math.max(...alpha)).toBe(0);
    // upright: 10 wide, 20 tall -> centre-cropped to the middle 10x10; red half on top after the rotation
    const rot = pixelsOf(s, 1);
    // (unrotated, the left half would be red and the right half blue instead)
    for (const x of [0, 9]) {
      expect(rot[3 * x]!).toBeGreaterThan(200); // top row red
      expect(rot[3 * (90 + x) + 2]!).toBeGreaterThan(200); // bottom row blue
    }
  });

  it('says when the folder does not exist or holds nothing', async () => {
    await expect(readImageFolder(path.join(tmp, 'missing'))).rejects.toThrow(/missing: folder not found/);
    fs.mkdirSync(path.join(tmp, 'hollow'));
    await expect(readImageFolder(path.join(tmp, 'hollow'))).rejects.toThrow(/hollow: no PNG, JPEG or WebP images and no class folders/);
  });

  it('stops with an AbortError when cancelled', async () => {
    const root = path.join(tmp, 'abort');
    for (let i = 0; i < 10; i++) await writeImage(path.join(root, 'a', `${i}.png`), 8, 8, i);
    const ac = new AbortController();
    ac.abort();
    await expect(readImageFolder(root, { signal: ac.signal, size: 8 })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ICNS_PNG_TYPES, pngSize, writeIcns, writeIco } from '../../scripts/lib/icon-formats.mjs';

const RESOURCES = path.resolve(import.meta.dirname, '../../resources');

// Independent readers of the two containers (the layouts of Microsoft's ICONDIR and Apple's icns).
function readIco(buf: Buffer) {
  expect(buf.readUInt16LE(0)).toBe(0);
  expect(buf.readUInt16LE(2)).toBe(1);
  const count = buf.readUInt16LE(4);
  return Array.from({ length: count }, (_, i) => {
    const e = 6 + 16 * i;
    const size = buf.readUInt32LE(e + 8);
    const offset = buf.readUInt32LE(e + 12);
    return {
      width: buf[e] || 256,
      height: buf[e + 1] || 256,
      planes: buf.readUInt16LE(e + 4),
      bpp: buf.readUInt16LE(e + 6),
      data: buf.subarray(offset, offset + size),
      end: offset + size,
    };
  });
}

function readIcns(buf: Buffer) {
  expect(buf.toString('latin1', 0, 4)).toBe('icns');
  expect(buf.readUInt32BE(4)).toBe(buf.length);
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < buf.length; ) {
    const len = buf.readUInt32BE(at + 4);
    expect(len).toBeGreaterThan(8);
    chunks.push({ type: buf.toString('latin1', at, at + 4), data: buf.subarray(at + 8, at + len) });
    at += len;
  }
  return chunks;
}

/** A real PNG of the given size whose pixels say which size it is. */
const png = (size: number) =>
  sharp({ create: { width: size, height: size, channels: 4, background: { r: size % 256, g: 40, b: 200, alpha: 1 } } })
    .png()
    .toBuffer();

describe('the .ico writer', () => {
  it('round-trips PNG entries: sizes, offsets and bytes', async () => {
    const images = await Promise.all([16, 32, 48, 256].map(png));
    const ico = writeIco(images);
    const entries = readIco(ico);
    expect(entries.map((e) => [e.width, e.height, e.planes, e.bpp])).toEqual([
      [16, 16, 1, 32],
      [32, 32, 1, 32],
      [48, 48, 1, 32],
      [256, 256, 1, 32],
    ]);
    entries.forEach((e, i) => expect(e.data.equals(images[i]!)).toBe(true));
    expect(entries.at(-1)!.end).toBe(ico.length);
    const meta = await sharp(entries[3]!.data).metadata();
    expect([meta.width, meta.height]).toEqual([256, 256]);
  });

  it('refuses what Windows cannot read', async () => {
    expect(() => writeIco([])).toThrow(/at least one/);
    await expect(png(512).then((p) => writeIco([p]))).rejects.toThrow(/1\.\.256 px, got 512/);
    const wide = await sharp({ create: { width: 32, height: 16, channels: 4, background: '#000' } }).png().toBuffer();
    expect(() => writeIco([wide])).toThrow(/square, got 32x16/);
    expect(() => writeIco([Buffer.from('GIF89a not a png at all..')])).toThrow(/not a PNG/);
  });
});

describe('the .icns writer', () => {
  it('round-trips ic07..ic10 chunks with their PNGs', async () => {
    const byType = Object.fromEntries(await Promise.all(Object.entries(ICNS_PNG_TYPES).map(async ([t, s]) => [t, await png(s)] as const)));
    const chunks = readIcns(writeIcns(byType));
    expect(chunks.map((c) => c.type)).toEqual(['ic07', 'ic08', 'ic09', 'ic10']);
    for (const c of chunks) {
      expect(c.data.equals(byType[c.type]!)).toBe(true);
      expect(pngSize(c.data)).toEqual({ width: ICNS_PNG_TYPES[c.type as keyof typeof ICNS_PNG_TYPES], height: ICNS_PNG_TYPES[c.type as keyof typeof ICNS_PNG_TYPES] });
    }
  });

  it('refuses a wrong size for a type and unknown types', async () => {
    await expect(png(128).then((p) => writeIcns({ ic08: p }))).rejects.toThrow(/ic08 holds a 256px image, got 128px/);
    await expect(png(16).then((p) => writeIcns({ is32: p }))).rejects.toThrow(/not a PNG icns type/);
    expect(() => writeIcns({})).toThrow(/at least one/);
  });
});

describe('the committed icons (node scripts/icons.mjs)', () => {
  it('are the sizes electron-builder uses, from one SVG source, and small', async () => {
    expect(fs.readFileSync(path.join(RESOURCES, 'icon.svg'), 'utf8')).toContain('<svg');
    for (const s of [256, 512]) {
      const meta = await sharp(path.join(RESOURCES, 'icons', `${s}x${s}.png`)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', s, s]);
    }
    const ico = readIco(fs.readFileSync(path.join(RESOURCES, 'icon.ico')));
    expect(ico.map((e) => e.width)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (const e of ico) expect(pngSize(e.data)).toEqual({ width: e.width, height: e.height });
    const icns = readIcns(fs.readFileSync(path.join(RESOURCES, 'icon.icns')));
    expect(icns.map((c) => [c.type, pngSize(c.data).width])).toEqual([
      ['ic07', 128],
      ['ic08', 256],
      ['ic09', 512],
      ['ic10', 1024],
    ]);
    // the 256 px images are the same picture in every container
    const a = await sharp(path.join(RESOURCES, 'icons', '256x256.png')).raw().toBuffer();
    const b = await sharp(ico.at(-1)!.data).raw().toBuffer();
    expect(a.equals(b)).toBe(true);
    let total = 0;
    for (const f of ['icon.ico', 'icon.icns', 'icons/256x256.png', 'icons/512x512.png']) total += fs.statSync(path.join(RESOURCES, f)).size;
    expect(total).toBeLessThan(200 * 1024);
  });
});

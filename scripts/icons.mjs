#!/usr/bin/env node
// Render the app icons from resources/icon.svg (run on demand; the outputs are committed):
//   resources/icons/512x512.png, 256x256.png  Linux (electron-builder's icon folder)
//   resources/icon.ico                         Windows (16..256 px, PNG entries)
//   resources/icon.icns                        macOS (ic07..ic10: 128..1024 px)
// sharp renders the SVG; the containers are written by scripts/lib/icon-formats.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ICNS_PNG_TYPES, writeIcns, writeIco } from './lib/icon-formats.mjs';

const resources = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'resources');
const svg = fs.readFileSync(path.join(resources, 'icon.svg'));

async function render(size) {
  // density scales the 1024-unit viewBox so small sizes are drawn, not shrunk from a blur
  return sharp(svg, { density: Math.max(1, (72 * size) / 1024) })
    .resize(size, size)
    // full RGBA: Windows and macOS read PNG entries best as 32-bit colour
    .png({ compressionLevel: 9 })
    .toBuffer();
}

const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const png = Object.fromEntries(await Promise.all(sizes.map(async (s) => [s, await render(s)])));

fs.mkdirSync(path.join(resources, 'icons'), { recursive: true });
const out = {
  'icons/512x512.png': png[512],
  'icons/256x256.png': png[256],
  'icon.ico': writeIco([16, 24, 32, 48, 64, 128, 256].map((s) => png[s])),
  'icon.icns': writeIcns(Object.fromEntries(Object.entries(ICNS_PNG_TYPES).map(([type, s]) => [type, png[s]]))),
};
for (const [rel, data] of Object.entries(out)) {
  fs.writeFileSync(path.join(resources, rel), data);
  console.log(`resources/${rel}  ${(data.length / 1024).toFixed(1)} KiB`);
}

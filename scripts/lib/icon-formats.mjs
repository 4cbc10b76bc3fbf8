// The two icon containers electron-builder wants, written from PNG images:
//   .ico  (Windows): ICONDIR header, one 16-byte ICONDIRENTRY per image, then the
//         images; PNG-compressed entries are valid since Windows Vista.
//   .icns (macOS):   'icns' + total length, then (type, length, data) chunks; the
//         types ic07..ic10 hold PNG data of 128, 256, 512 and 1024 pixels.
// All integers: ICO little-endian, ICNS big-endian.

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk; throws on anything that is not a PNG. */
export function pngSize(png) {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG image (no PNG signature and IHDR chunk)');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function squareSize(png, what) {
  const { width, height } = pngSize(png);
  if (width !== height) throw new Error(`${what}: icons must be square, got ${width}x${height}`);
  return width;
}

/** An .ico holding the given PNGs (square, 1..256 px, one per size). */
export function writeIco(pngs) {
  if (pngs.length === 0) throw new Error('an .ico needs at least one image');
  const sizes = pngs.map((p, i) => squareSize(p, `image ${i}`));
  for (const s of sizes) if (s < 1 || s > 256) throw new Error(`.ico images are 1..256 px, got ${s}`);
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  const entries = Buffer.alloc(16 * pngs.length);
  let offset = header.length + entries.length;
  pngs.forEach((png, i) => {
    const e = i * 16;
    entries.writeUInt8(sizes[i] === 256 ? 0 : sizes[i], e); // width; 0 means 256
    entries.writeUInt8(sizes[i] === 256 ? 0 : sizes[i], e + 1); // height
    entries.writeUInt8(0, e + 2); // no palette
    entries.writeUInt8(0, e + 3); // reserved
    entries.writeUInt16LE(1, e + 4); // colour planes
    entries.writeUInt16LE(32, e + 6); // bits per pixel
    entries.writeUInt32LE(png.length, e + 8);
    entries.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, entries, ...pngs]);
}

/** The PNG-based ICNS types and the pixel size each must hold. */
export const ICNS_PNG_TYPES = { ic07: 128, ic08: 256, ic09: 512, ic10: 1024 };

/** An .icns from { type: png } (types from ICNS_PNG_TYPES, each PNG of that type's size). */
export function writeIcns(byType) {
  const chunks = [];
  for (const [type, png] of Object.entries(byType)) {
    const want = ICNS_PNG_TYPES[type];
    if (!want) throw new Error(`${type}: not a PNG icns type (use ${Object.keys(ICNS_PNG_TYPES).join(', ')})`);
    const size = squareSize(png, type);
    if (size !== want) throw new Error(`${type} holds a ${want}px image, got ${size}px`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    chunks.push(head, png);
  }
  if (chunks.length === 0) throw new Error('an .icns needs at least one image');
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

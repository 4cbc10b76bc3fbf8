// Types of icon-formats.mjs for the tests that import it.
export function pngSize(png: Buffer): { width: number; height: number };
export function writeIco(pngs: Buffer[]): Buffer;
export const ICNS_PNG_TYPES: Record<'ic07' | 'ic08' | 'ic09' | 'ic10', number>;
export function writeIcns(byType: Partial<Record<string, Buffer>>): Buffer;

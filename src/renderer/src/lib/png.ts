/** A base64 PNG from the API as an <img> source. */
export function pngSrc(png: string): string {
  return `data:image/png;base64,${png}`;
}

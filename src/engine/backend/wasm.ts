import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * Register the wasm backend, with its .wasm files read from the installed
 * package (never fetched from a CDN).
 */
export async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  // In Node the emscripten loader reads these with fs, so a plain path works;
  // in a browser bundle a file URL would not, but the engine never runs there.
  wasm.setWasmPaths(process.versions.node ? dir + path.sep : pathToFileURL(dir).href + '/');
}

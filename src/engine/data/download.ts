import fs from 'node:fs';
import path from 'node:path';
import type { DatasetProgress } from '../../shared/dataset.js';
import { abortError, isAbortError } from '../abort.js';
import { hashFile } from './util.js';

/**
 * HTTP(S) download with resume and MD5 verification.
 *
 * Bytes go to `<dest>.part`; when that file exists, the request asks for the
 * rest (`Range: bytes=N-`) and appends on a 206 answer, or starts over when the
 * server ignores ranges (200). Network errors retry (with resume) up to
 * `retries` times; the partial file is kept so a later call resumes too. Only a
 * complete file whose MD5 matches is renamed to `dest`.
 */
export interface DownloadOptions {
  /** published MD5 (hex); the file is deleted and an error thrown when it differs */
  md5?: string;
  signal?: AbortSignal;
  onProgress?: (event: DatasetProgress) => void;
  /** extra attempts after a network error (default 3) */
  retries?: number;
  /** milliseconds between progress events (default 250) */
  progressIntervalMs?: number;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  /** bytes that were already on disk from an earlier, interrupted download */
  resumedFrom: number;
  md5: string;
  /** true when dest already existed with the right checksum and nothing was fetched */
  cached: boolean;
}

class HttpError extends Error {}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

async function fetchOnce(url: string, part: string, file: string, opts: DownloadOptions): Promise<{ resumedFrom: number }> {
  let have = sizeOf(part);
  const headers: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: opts.signal, redirect: 'follow' });
  } catch (err) {
    if (opts.signal?.aborted) throw abortError();
    throw new Error(`${url}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
  }
  if (res.status === 416 && have > 0) {
    // The partial file already holds everything (or more): let the checksum decide.
    await res.body?.cancel();
    return { resumedFrom: have };
  }
  let total: number | null = null;
  if (res.status === 206 && have > 0) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== have) {
      // A range we did not ask for: start over rather than splice wrong bytes.
      await res.body?.cancel();
      fs.rmSync(part, { force: true });
      throw new Error(`${url}: server answered range "${res.headers.get('content-range')}" to a request for bytes ${have}-; restarting`);
    }
    if (m[3] !== '*') total = Number(m[3]);
  } else if (res.status === 200) {
    have = 0;
    const len = res.headers.get('content-length');
    if (len !== null) total = Number(len);
  } else {
    await res.body?.cancel();
    const msg = `${url}: HTTP ${res.status} ${res.statusText}`.trim();
    // 5xx may pass; 4xx (not found, forbidden) will not, so do not retry those
    throw res.status >= 500 ? new Error(msg) : new HttpError(msg);
  }
  if (!res.body) throw new Error(`${url}: empty response`);

  const out = fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  const start = Date.now();
  const interval = opts.progressIntervalMs ?? 250;
  let last = 0;
  let got = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!opts.onProgress || (!force && now - last < interval)) return;
    last = now;
    const secs = Math.max(1e-3, (now - start) / 1000);
    const rate = got / secs;
    const done = have + got;
    opts.onProgress({
      phase: 'download',
      file,
      done,
      total,
      bytesPerSecond: rate,
      etaSeconds: total !== null && rate > 0 ? Math.max(0, (total - done) / rate) : null,
    });
  };
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      got += chunk.length;
      report(false);
    }
  } catch (err) {
    out.end();
    await closed.catch(() => {});
    if (opts.signal?.aborted) throw abortError();
    throw new Error(`${url}: connection lost after ${have + got} bytes (${(err as Error).message})`);
  }
  out.end();
  await closed;
  report(true);
  if (total !== null && have + got < total) throw new Error(`${url}: connection closed after ${have + got} of ${total} bytes`);
  return { resumedFrom: have };
}

/** Download url to dest (see the header of this file). */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const file = path.basename(dest);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (opts.md5 && fs.existsSync(dest)) {
    const md5 = await hashFile(dest, 'md5');
    if (md5 === opts.md5.toLowerCase()) return { file: dest, bytes: sizeOf(dest), resumedFrom: 0, md5, cached: true };
  }
  const part = `${dest}.part`;
  const retries = opts.retries ?? 3;
  let resumedFrom = sizeOf(part);
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw abortError();
    try {
      const r = await fetchOnce(url, part, file, opts);
      if (attempt === 0) resumedFrom = r.resumedFrom;
      break;
    } catch (err) {
      if (isAbortError(err) || err instanceof HttpError || attempt >= retries) {
        if (isAbortError(err)) throw err;
        const kept = sizeOf(part);
        throw new Error(`${(err as Error).message}${kept > 0 ? `; ${kept} bytes kept in ${part}, run the download again to resume` : ''}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
    }
  }

  const bytes = sizeOf(part);
  let verified = 0;
  const md5 = await hashFile(part, 'md5', (n) => {
    verified += n;
    if (opts.onProgress && (verified === bytes || verified % (16 << 20) < n)) opts.onProgress({ phase: 'verify', file, done: verified, total: bytes });
  });
  if (opts.md5 && md5 !== opts.md5.toLowerCase()) {
    fs.rmSync(part, { force: true });
    throw new Error(
      `${dest}: checksum mismatch: MD5 of the ${bytes} downloaded bytes is ${md5}, the published MD5 is ${opts.md5.toLowerCase()}; the download was corrupted or the server sent a different file. The bad file was deleted: run the download again.`,
    );
  }
  fs.renameSync(part, dest);
  return { file: dest, bytes, resumedFrom, md5, cached: false };
}

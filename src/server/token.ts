/**
 * The server's access token, kept in the data root (mode 0600) so a restart
 * keeps the URL a person has open working; `serve --new-token` replaces it,
 * which locks out every page and script that had the old one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../engine/fs/atomic.js';

export const TOKEN_FILE = 'server-token';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/;

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** The token stored under `dataRoot`, created (or replaced, with `rotate`) when missing or malformed. */
export function loadOrCreateToken(dataRoot: string, opts: { rotate?: boolean } = {}): { token: string; created: boolean } {
  const file = path.join(dataRoot, TOKEN_FILE);
  if (!opts.rotate) {
    try {
      const st = fs.lstatSync(file);
      const text = fs.readFileSync(file, 'utf8').trim();
      if (st.isFile() && TOKEN_SHAPE.test(text)) {
        // Someone widened it (a copy, an editor): narrow it back; the token is only for this user.
        if ((st.mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
        return { token: text, created: false };
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const token = newToken();
  writeFileAtomic(file, token + '\n', { stage: 'server token', mode: 0o600 });
  fs.chmodSync(file, 0o600); // the mode above is masked by the umask; make sure
  return { token, created: true };
}

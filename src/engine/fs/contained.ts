import fs from 'node:fs';
import path from 'node:path';

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A dataset folder was checked against the allowed roots; the files read from
 * it must really be inside it too. A symbolic link in the folder that leads
 * out of it is refused (its real path is resolved, so `sneaky/data_batch_1.bin
 * -> /home/me/.ssh/id_rsa` cannot be read, cached or shown).
 */
export function assertInsideFolder(folder: string, files: readonly string[]): void {
  const root = fs.realpathSync.native(folder);
  for (const f of files) {
    let real: string;
    try {
      real = fs.realpathSync.native(f);
    } catch {
      continue; // missing: the reader names it
    }
    if (!isInside(root, real)) throw new Error(`${f}: a symbolic link to ${real}, outside ${folder}; not followed (copy the file into the folder instead)`);
  }
}

/** An archive member path that would land outside the extraction folder (absolute, or with a '..' segment). */
export function unsafeMemberPath(p: string): boolean {
  return path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p) || p.split(/[\\/]/).includes('..');
}

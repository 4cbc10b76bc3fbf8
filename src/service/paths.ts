import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiCallError } from '../engine/jobs/errors.js';

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** Text a dataset or pipeline field holds that names a file rather than an id or preset. */
export function looksLikePath(text: string): boolean {
  return /[\\/]/.test(text) || text.startsWith('.') || text.startsWith('~') || /\.(json|tar\.gz|tgz|tar|zip)$/i.test(text);
}

/**
 * Which files a request may name: everything under the data root, plus the
 * dataset folders the user allowed (--dataset-dir, or chosen in the app's
 * dialog). Symlinks are resolved before the check, so a link inside an
 * allowed folder cannot point out of it.
 */
export class PathPolicy {
  constructor(
    private readonly dataRoot: () => string,
    private readonly extraDirs: () => string[] = () => [],
  ) {}

  roots(): string[] {
    return [this.dataRoot(), ...this.extraDirs()].map((r) => realOrResolved(path.resolve(r)));
  }

  private expand(p: string, field: string): string {
    const expanded = p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
    if (!path.isAbsolute(expanded)) throw new ApiCallError('bad_request', `${field}: "${p}" is a relative path; give an absolute path`, { issues: [{ path: field, message: 'relative path' }] });
    return path.normalize(expanded);
  }

  private refuse(p: string, field: string): never {
    const roots = this.roots();
    throw new ApiCallError(
      'forbidden',
      `${field}: "${p}" is outside the folders this workbench may read (the data root ${roots[0]}${roots.length > 1 ? ` and ${roots.slice(1).join(', ')}` : ''}); ` +
        'allow its folder with `serve --dataset-dir DIR` or, in the app, File > Add Dataset Folder',
      { issues: [{ path: field, message: 'outside the allowed folders' }] },
    );
  }

  /** An existing file or folder under an allowed root: returns its real path. */
  existing(p: string, field: string): string {
    const abs = this.expand(p, field);
    // Refuse before looking, so a request cannot probe which files exist elsewhere.
    if (!this.roots().some((r) => isInside(r, abs) || isInside(r, realOrResolved(abs)))) this.refuse(p, field);
    let real: string;
    try {
      real = fs.realpathSync.native(abs);
    } catch {
      throw new ApiCallError('not_found', `${field}: "${p}" does not exist`, { issues: [{ path: field, message: 'no such file or folder' }] });
    }
    if (!this.roots().some((r) => isInside(r, real))) this.refuse(p, field);
    return real;
  }

  /** A place to write (it may not exist yet): must lie under the data root. */
  writable(p: string, field: string): string {
    const abs = this.expand(p, field);
    // Resolve the deepest existing ancestor, so a symlinked parent cannot lead out.
    let probe = abs;
    while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
    const real = path.join(realOrResolved(probe), path.relative(probe, abs));
    const root = realOrResolved(path.resolve(this.dataRoot()));
    if (!isInside(root, real)) {
      throw new ApiCallError('forbidden', `${field}: "${p}" is outside the data root ${root}; jobs write only under it`, { issues: [{ path: field, message: 'outside the data root' }] });
    }
    return real;
  }
}

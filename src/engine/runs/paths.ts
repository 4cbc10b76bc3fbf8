import path from 'node:path';

export { defaultDataRoot } from '../fs/data-root.js';

export function runsDir(dataRoot: string): string {
  return path.join(dataRoot, 'runs');
}

export function trashDir(dataRoot: string): string {
  return path.join(dataRoot, 'trash', 'runs');
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * A run id is a plain directory name. Anything else (slashes, '..', empty) is
 * refused here, so no caller can be steered outside the runs folder.
 */
export function checkRunId(id: string): string {
  if (typeof id !== 'string' || !RUN_ID.test(id) || id.includes('..')) {
    throw new Error(`"${id}" is not a run id (letters, digits, '.', '_' and '-' only, as listed by \`runs list\`)`);
  }
  return id;
}

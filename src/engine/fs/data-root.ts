import os from 'node:os';
import path from 'node:path';
import { DATA_ROOT_DIR, DATA_ROOT_ENV } from '../../shared/data-root.js';

/** $SIMCLR_DATA_ROOT, else ~/.simclr-workbench (an empty variable counts as unset). The app passes its own setting instead. */
export function defaultDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env[DATA_ROOT_ENV] || path.join(os.homedir(), DATA_ROOT_DIR);
}

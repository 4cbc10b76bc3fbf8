#!/usr/bin/env node
// `npm start`: build, then open the desktop app; where no Electron binary is
// installed (offline installs), serve the same UI to the browser instead.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function electronBinary() {
  try {
    return require('electron'); // the path of the binary; throws when it was never downloaded
  } catch {
    return null;
  }
}

const build = spawnSync(npm, ['run', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const extra = process.argv.slice(2);
const r = electronBinary()
  ? spawnSync(npm, ['exec', '--', 'electron-vite', 'preview', ...extra], { stdio: 'inherit' })
  : (console.log('[start] no Electron binary here: serving the workbench to your browser instead'),
    spawnSync(process.execPath, ['bin/simclr-workbench.js', 'serve', '--open', ...extra], { stdio: 'inherit' }));
process.exit(r.status ?? 0);

/**
 * The Python peer (CPU torch, safetensors, lightning, scikit-learn) that
 * cross-framework tests run against. Found as $SIMCLR_PEER_PYTHON, else
 * bench/.venv (made by bench/peers/setup-venv.sh, and by .ci/run), else
 * /work/venv-peer. Modules are checked on disk: importing torch costs seconds.
 *
 * Without one, tests skip and say why in their name; with
 * SIMCLR_REQUIRE_PEER=1 (set by .ci/run once it has made the venv) a missing
 * peer fails instead, so CI can never pass them silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './shipped.js';

export interface Peer {
  python: string | null;
  /** why there is none, for the skipped test's name */
  reason: string;
}

function sitePackages(python: string): string[] {
  const lib = path.join(path.dirname(path.dirname(python)), 'lib');
  if (!fs.existsSync(lib)) return [];
  return fs.readdirSync(lib).map((py) => path.join(lib, py, 'site-packages'));
}

export function findPeer(modules: string[]): Peer {
  const candidates = [process.env.SIMCLR_PEER_PYTHON, path.join(ROOT, 'bench/.venv/bin/python'), '/work/venv-peer/bin/python'].filter((p): p is string => !!p);
  const tried: string[] = [];
  for (const python of candidates) {
    if (!fs.existsSync(python)) {
      tried.push(`${python} (absent)`);
      continue;
    }
    const sites = sitePackages(python);
    const missing = modules.filter((m) => !sites.some((s) => fs.existsSync(path.join(s, m, '__init__.py'))));
    if (!missing.length) return { python, reason: '' };
    tried.push(`${python} (no ${missing.join(', ')})`);
  }
  const reason = `no Python peer with ${modules.join(', ')}: tried ${tried.join('; ')}; run bench/peers/setup-venv.sh or set SIMCLR_PEER_PYTHON`;
  if (process.env.SIMCLR_REQUIRE_PEER === '1') throw new Error(`SIMCLR_REQUIRE_PEER=1 but ${reason}`);
  return { python: null, reason };
}

/** The Lightning template's folder, for PYTHONPATH (simclr_recipe) in the tests. */
export const TEMPLATE_DIR = path.join(ROOT, 'src/engine/interchange/lightning');

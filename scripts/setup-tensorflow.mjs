#!/usr/bin/env node
// Offline install of the native TensorFlow backend for tfjs-node.
//
// Why: @tensorflow/tfjs-node downloads a prebuilt libtensorflow at install time.
// Where that download is impossible (no internet, mirrors only), npm drops the
// optional package and only the slow wasm/cpu backends remain. TensorFlow's own
// pip wheel ships the same C API in libtensorflow_cc.so.2, so we build the
// tfjs-node N-API binding from source against it.
//
// Steps (each skipped when already done, so re-running is safe):
//   1. put @tensorflow/tfjs-node's files in node_modules (npm, scripts ignored)
//   2. fetch the TensorFlow wheel with pip into a cache (or use --wheel FILE)
//   3. extract libtensorflow_cc.so.2, libtensorflow_framework.so.2 and headers into its deps/
//   4. build the binding with node-gyp
//   5. load it in a fresh process and run an op
//
// Usage: node scripts/setup-tensorflow.mjs [--if-needed] [--force] [--gpu] [--wheel PATH]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

const gpu = flag('--gpu');
const pkgName = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const pkgVersion = rootPkg.optionalDependencies[pkgName];
const TF_VERSION = process.env.SIMCLR_TF_WHEEL_VERSION || '2.21.0';
const wheelName = gpu ? 'tensorflow' : 'tensorflow-cpu';
const pkgDir = path.join(root, 'node_modules', ...pkgName.split('/'));
const cacheDir =
  process.env.SIMCLR_CACHE_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'simclr-workbench');
const wheelDir = path.join(cacheDir, `${wheelName}-${TF_VERSION}`);

function log(msg) {
  console.log(`[setup:tensorflow] ${msg}`);
}

function run(cmd, cmdArgs, opts = {}) {
  log(`$ ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited with ${r.status}`);
}

// Load the package in a fresh process (a failed dlopen cannot be retried in-process)
// and run one op on the tensorflow backend.
function probe() {
  const code = `
    process.env.TF_CPP_MIN_LOG_LEVEL = '2';
    const tf = require(${JSON.stringify(pkgName)});
    const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
    const v = Array.from(y.dataSync());
    if (tf.getBackend() !== 'tensorflow' || v[0] !== 17 || v[1] !== 39) throw new Error('wrong result ' + v);
    console.log(JSON.stringify({ backend: tf.getBackend(), tfjs: tf.version.tfjs, libtensorflow: tf.version['tfjs-node'] }));
  `;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, out: (r.stdout + r.stderr).trim() };
}

function ensurePackageFiles() {
  const pj = path.join(pkgDir, 'package.json');
  if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).version === pkgVersion) {
    log(`${pkgName}@${pkgVersion} files present`);
    return;
  }
  // --ignore-scripts: its install script would try the libtensorflow download again.
  // --no-save keeps package.json and the lock file as they are.
  run('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${pkgName}@${pkgVersion}`], {
    cwd: root,
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  });
  if (!fs.existsSync(pj)) throw new Error(`npm did not install ${pkgName}`);
}

function findWheel() {
  const given = option('--wheel');
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`--wheel ${given}: no such file`);
    return path.resolve(given);
  }
  fs.mkdirSync(wheelDir, { recursive: true });
  const pattern = new RegExp(`^${wheelName.replace('-', '_')}-${TF_VERSION.replace(/\./g, '\\.')}-.*\\.whl$`);
  let wheel = fs.readdirSync(wheelDir).find((f) => pattern.test(f));
  if (!wheel) {
    const py = process.env.PYTHON || 'python3';
    run(py, ['-m', 'pip', 'download', `${wheelName}==${TF_VERSION}`, '--no-deps', '--only-binary=:all:', '-d', wheelDir]);
    wheel = fs.readdirSync(wheelDir).find((f) => pattern.test(f));
    if (!wheel) throw new Error(`pip finished but no ${wheelName} ${TF_VERSION} wheel is in ${wheelDir}`);
  }
  return path.join(wheelDir, wheel);
}

// Extract only what the binding needs; unzip is much faster than a JS zip reader on 270 MB.
function extractLibraries(wheel) {
  const depsDir = path.join(pkgDir, 'deps');
  const libDir = path.join(depsDir, 'lib');
  const stamp = path.join(depsDir, 'SOURCE');
  const want = `${path.basename(wheel)}\n`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want && fs.existsSync(path.join(libDir, 'libtensorflow_cc.so.2'))) {
    log('libraries already extracted from the same wheel');
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-tf-'));
  try {
    run('unzip', ['-q', '-o', wheel, 'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2', 'tensorflow/include/*', '-d', tmp]);
    fs.rmSync(depsDir, { recursive: true, force: true });
    fs.mkdirSync(libDir, { recursive: true });
    for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
      fs.renameSync(path.join(tmp, 'tensorflow', lib), path.join(libDir, lib));
    }
    // binding.gyp links -ltensorflow -ltensorflow_framework; the runtime names
    // (DT_NEEDED) come from the sonames, which are the .so.2 files above.
    fs.symlinkSync('libtensorflow_cc.so.2', path.join(libDir, 'libtensorflow.so'));
    fs.symlinkSync('libtensorflow_framework.so.2', path.join(libDir, 'libtensorflow_framework.so'));
    fs.renameSync(path.join(tmp, 'tensorflow', 'include'), path.join(depsDir, 'include'));
    fs.writeFileSync(stamp, want);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The running Node's own headers: npm's nodedir setting, else the install prefix
// (Debian's nodejs and the official tarballs put them in PREFIX/include/node).
function localNodeHeaders() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(process.execPath, '..', '..')].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

function buildBinding() {
  const pj = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  // Ask node-pre-gyp (what tfjs-node uses at load time) where it will look for the
  // binding: it picks the highest N-API version the package lists that Node supports.
  const require = createRequire(path.join(pkgDir, 'package.json'));
  const built = require('@mapbox/node-pre-gyp').find(path.join(pkgDir, 'package.json'));
  const napi = /napi-v(\d+)/.exec(built)?.[1];
  if (!napi) throw new Error(`unexpected binding path from node-pre-gyp: ${built}`);
  const nodeGyp = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // The variables node-pre-gyp would pass; we call node-gyp directly so no download is attempted.
  const gypArgs = [nodeGyp, 'rebuild', `--jobs=${os.cpus().length}`, `--module_name=${pj.binary.module_name}`, `--module_path=${path.dirname(built)}`, `--napi_build_version=${napi}`];
  // node-gyp downloads Node's headers unless told where they are; offline that fails.
  const nodeDir = localNodeHeaders();
  if (nodeDir) gypArgs.push(`--nodedir=${nodeDir}`);
  run(process.execPath, gypArgs, { cwd: pkgDir });
  if (!fs.existsSync(built)) throw new Error(`node-gyp finished but ${built} is missing`);
  log(`built ${path.relative(root, built)}`);
}

function main() {
  if (process.platform !== 'linux' && !flag('--force')) {
    log(`offline build is for Linux; on ${process.platform} use the prebuilt download (npm install)`);
    return;
  }
  const before = probe();
  if (before.ok && !flag('--force')) {
    log(`${pkgName} already works: ${before.out}`);
    return;
  }
  if (flag('--if-needed') && process.env.SIMCLR_SKIP_TENSORFLOW_SETUP) {
    log('SIMCLR_SKIP_TENSORFLOW_SETUP is set: leaving the native backend out (wasm/cpu remain)');
    return;
  }
  log(`${pkgName} does not load yet; building it against TensorFlow ${TF_VERSION} from the ${wheelName} wheel`);
  ensurePackageFiles();
  const wheel = findWheel();
  log(`wheel: ${wheel}`);
  extractLibraries(wheel);
  buildBinding();
  const after = probe();
  if (!after.ok) throw new Error(`the binding was built but does not load or compute:\n${after.out}`);
  log(`done: ${pkgName} runs on the native backend: ${after.out}`);
}

try {
  main();
} catch (err) {
  console.error(`[setup:tensorflow] FAILED: ${err.message}`);
  console.error('[setup:tensorflow] the app still runs on the wasm backend; rerun `npm run setup:tensorflow` after fixing the cause.');
  // --if-needed (postinstall) must never fail npm install; an explicit run reports failure.
  process.exit(flag('--if-needed') ? 0 : 1);
}

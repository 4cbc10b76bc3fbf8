// The Electron fuses the packaged app ships with: one config, flipped into the
// binary by scripts/after-pack.mjs (electron-builder's afterPack hook, before
// signing) and checked by test/main/fuses.test.ts. Fuses are bits compiled
// into the Electron executable; once flipped, no command-line switch or
// environment variable can turn the feature back on.
import { FuseState, FuseV1Options, FuseVersion } from '@electron/fuses';

/** fuse name -> wanted state, and why (docs/desktop-and-server.md shows this table). */
export const FUSE_SETTINGS = {
  // ELECTRON_RUN_AS_NODE would turn the signed app into a plain Node.js interpreter for any script.
  RunAsNode: false,
  // --inspect / --inspect-brk would let anyone attach a debugger to the main process.
  EnableNodeCliInspectArguments: false,
  // NODE_OPTIONS (--require, --import) would inject code into the main process.
  EnableNodeOptionsEnvironmentVariable: false,
  // The app code must come from app.asar, not a loose resources/app folder someone dropped in.
  OnlyLoadAppFromAsar: true,
  // app.asar must match the hash embedded at package time (macOS and Windows; Linux has no check yet).
  EnableEmbeddedAsarIntegrityValidation: true,
  // Cookies on disk are encrypted with the OS key store.
  EnableCookieEncryption: true,
  // The renderer is served over app://, so file:// pages need none of the extra powers Electron grants them.
  GrantFileProtocolExtraPrivileges: false,
};

/** The @electron/fuses config (FuseV1Options index -> boolean). */
export function fuseConfig(platform = process.platform) {
  const config = {
    version: FuseVersion.V1,
    // On macOS flipping fuses breaks the ad-hoc signature; re-sign ad hoc (electron-builder then signs for real).
    resetAdHocDarwinSignature: platform === 'darwin',
  };
  for (const [name, on] of Object.entries(FUSE_SETTINGS)) {
    const index = FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`scripts/lib/fuses.mjs: ${name} is not a fuse that @electron/fuses knows`);
    config[index] = on;
  }
  return config;
}

/** The fuses of a binary (from getCurrentFuseWire) that differ from FUSE_SETTINGS: [] when all are as wanted. */
export function fuseMismatches(wire) {
  const wrong = [];
  for (const [name, on] of Object.entries(FUSE_SETTINGS)) {
    const got = wire[FuseV1Options[name]];
    const want = on ? FuseState.ENABLE : FuseState.DISABLE;
    if (got !== want) wrong.push(`${name}: ${FuseState[got] ?? got ?? 'absent'}, want ${FuseState[want]}`);
  }
  return wrong;
}

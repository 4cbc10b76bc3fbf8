// electron-builder afterPack hook (electron-builder.yml): flip the fuses of
// scripts/lib/fuses.mjs into the packaged Electron binary. It runs after the
// app is copied and before signing, which is when fuses must be set.
import { fuseConfig } from './lib/fuses.mjs';

export default async function afterPack(context) {
  // electron-builder's own helper: it knows the executable's name and path on each OS.
  await context.packager.addElectronFuses(context, fuseConfig(context.electronPlatformName));
}

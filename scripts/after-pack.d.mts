// Types of after-pack.mjs for the tests that import it.
export default function afterPack(context: {
  electronPlatformName: string;
  appOutDir: string;
  packager: { addElectronFuses(context: unknown, fuses: unknown): Promise<unknown> };
}): Promise<void>;

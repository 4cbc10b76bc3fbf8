import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flipFuses, FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, describe, expect, it } from 'vitest';
import afterPack from '../../scripts/after-pack.mjs';
import { FUSE_SETTINGS, fuseConfig, fuseMismatches } from '../../scripts/lib/fuses.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron's shipped defaults, one byte per fuse in FuseV1Options order ('1' on, '0' off).
const ELECTRON_DEFAULT_WIRE = '101100011';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simclr-fuses-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A stand-in executable: random bytes around a V1 fuse wire laid out the way Electron embeds it. */
function fakeElectron(name: string): string {
  const file = path.join(tmp, name);
  const wire = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, ELECTRON_DEFAULT_WIRE.length]), Buffer.from(ELECTRON_DEFAULT_WIRE)]);
  fs.writeFileSync(file, Buffer.concat([Buffer.alloc(70_000, 0x7f), wire, Buffer.alloc(5_000, 0x41)]));
  return file;
}

describe('the fuse config', () => {
  it('sets exactly the hardening fuses', () => {
    expect(FUSE_SETTINGS).toEqual({
      RunAsNode: false,
      EnableNodeCliInspectArguments: false,
      EnableNodeOptionsEnvironmentVariable: false,
      OnlyLoadAppFromAsar: true,
      EnableEmbeddedAsarIntegrityValidation: true,
      EnableCookieEncryption: true,
      GrantFileProtocolExtraPrivileges: false,
    });
    const c = fuseConfig('linux') as unknown as Record<string | number, unknown>;
    expect(c.version).toBe('1');
    expect(c.resetAdHocDarwinSignature).toBe(false);
    expect(c[FuseV1Options.RunAsNode]).toBe(false);
    expect(c[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(c[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(c[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(c[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(c[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(c[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
    // fuses with no opinion are left as Electron ships them
    expect(FuseV1Options.LoadBrowserProcessSpecificV8Snapshot in c).toBe(false);
    expect((fuseConfig('darwin') as { resetAdHocDarwinSignature?: boolean }).resetAdHocDarwinSignature).toBe(true);
  });
});

describe('the afterPack hook', () => {
  it('flips the fuses of a binary with @electron/fuses and leaves the others alone', async () => {
    const exe = fakeElectron('simclr-workbench');
    const before = await getCurrentFuseWire(exe);
    expect(fuseMismatches(before)).toHaveLength(7);
    const calls: unknown[] = [];
    const context = {
      electronPlatformName: 'linux',
      appOutDir: tmp,
      // electron-builder's packager.addElectronFuses resolves the executable, then calls flipFuses
      packager: { addElectronFuses: (ctx: unknown, fuses: Parameters<typeof flipFuses>[1]) => (calls.push(ctx), flipFuses(exe, fuses)) },
    };
    await afterPack(context);
    expect(calls).toEqual([context]);
    const after = await getCurrentFuseWire(exe);
    expect(fuseMismatches(after)).toEqual([]);
    expect(after[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(after[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(after[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(FuseState.DISABLE);
    expect(after[FuseV1Options.WasmTrapHandlers]).toBe(FuseState.ENABLE);
    // only the wire bytes changed
    const bytes = fs.readFileSync(exe);
    expect(bytes.subarray(0, 70_000).every((b) => b === 0x7f)).toBe(true);
    expect(bytes.subarray(bytes.length - 5_000).every((b) => b === 0x41)).toBe(true);
  });

  it('reports what is wrong in a wire it reads', () => {
    const wire = { version: '1', [FuseV1Options.RunAsNode]: FuseState.ENABLE, [FuseV1Options.EnableCookieEncryption]: FuseState.ENABLE } as never;
    expect(fuseMismatches(wire)).toContain('RunAsNode: ENABLE, want DISABLE');
    expect(fuseMismatches(wire)).toContain('OnlyLoadAppFromAsar: absent, want ENABLE');
  });
});

// The executable `npm run dist` leaves unpacked under dist/, per OS.
const packaged = [
  path.join(ROOT, 'dist', 'linux-unpacked', 'simclr-workbench'),
  path.join(ROOT, 'dist', 'win-unpacked', 'SimCLR Workbench.exe'),
  path.join(ROOT, 'dist', 'mac', 'SimCLR Workbench.app'),
  path.join(ROOT, 'dist', 'mac-arm64', 'SimCLR Workbench.app'),
].find((p) => fs.existsSync(p));

describe('the packaged app', () => {
  it.skipIf(!packaged)(
    packaged ? `has its fuses flipped (${path.relative(ROOT, packaged)})` : 'has its fuses flipped — SKIPPED: no packaged app under dist/ (npm run dist needs the Electron binary, which cannot be downloaded offline)',
    async () => {
      expect(fuseMismatches(await getCurrentFuseWire(packaged!))).toEqual([]);
    },
  );
});

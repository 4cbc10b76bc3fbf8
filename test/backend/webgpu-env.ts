import fs from 'node:fs';

/**
 * SwiftShader's Vulkan driver (Debian's chromium package ships it) gives Dawn a
 * software adapter on machines without a GPU, CI included. Where it is missing the
 * webgpu suites skip, and say why.
 */
export const SWIFTSHADER_ICD = process.env.SIMCLR_TEST_VK_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

export const webgpuSkipReason: string | null = fs.existsSync(SWIFTSHADER_ICD)
  ? null
  : `no Vulkan ICD for a software WebGPU adapter at ${SWIFTSHADER_ICD} (apt-get install chromium libvulkan1, or set SIMCLR_TEST_VK_ICD)`;

if (webgpuSkipReason) console.warn(`webgpu suites skipped: ${webgpuSkipReason}`);

/** The environment a process needs to find the SwiftShader adapter. */
export const SWIFTSHADER_ENV = { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };

/** Point Dawn at SwiftShader in this process (before the first probe). */
export function useSwiftshaderHere(): void {
  Object.assign(process.env, SWIFTSHADER_ENV);
}

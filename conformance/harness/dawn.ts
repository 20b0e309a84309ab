/**
 * Dawn for Node (the `webgpu` npm addon): the Node-only half of device acquisition ([harness.device.*]),
 * imported by device.ts only when a Dawn backend is tried, so a browser page never loads it
 * ([harness.browser.1]). Facts this relies on are in shared/notes/webgpu-on-linux.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

type DawnModule = typeof import('webgpu');

// Dawn's instance must outlive every device it created, or the process dies in a native thread.
const dawnInstances: GPU[] = [];
let dawnModule: Promise<DawnModule> | undefined;

/** Imported lazily so that a missing or broken native addon becomes a failed attempt, not a crash at import. */
function loadDawn(): Promise<DawnModule> {
  dawnModule ??= import('webgpu').then((m) => {
    // GPUBufferUsage, GPUMapMode, ... are globals in browsers and Deno; implementations may rely on them.
    const globals = m.globals as Record<string, unknown>;
    for (const [name, value] of Object.entries(globals)) if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
    return m;
  });
  return dawnModule;
}

/**
 * A Dawn instance limited to `backend`, kept alive for the process. Throws the reason when the addon does not
 * load or, for Vulkan, when the machine has no loader or driver (`swiftshaderIcd` is named as one to use).
 * `flags` are more Dawn instance options, such as `disable-dawn-features=timestamp_quantization`.
 */
export async function dawnInstance(backend: 'vulkan' | 'opengl' | 'opengles' | 'null', swiftshaderIcd: string, flags: readonly string[] = []): Promise<GPU> {
  let dawn: DawnModule;
  try {
    dawn = await loadDawn();
  } catch (e) {
    throw new Error(`cannot load the 'webgpu' addon: ${(e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''}`);
  }
  // Without a Vulkan loader Dawn only prints a warning to stderr; say it here instead, once, as the reason.
  if (backend === 'vulkan' && process.platform === 'linux' && !hasVulkanLoader()) {
    throw new Error('no Vulkan loader (libvulkan.so.1) on this machine: apt-get install -y libvulkan1 and a Vulkan driver');
  }
  if (backend === 'vulkan' && process.platform === 'linux' && !hasVulkanDriver()) {
    throw new Error(`no Vulkan driver on this machine: apt-get install -y mesa-vulkan-drivers, or point VK_ICD_FILENAMES at one (Chromium's SwiftShader: ${swiftshaderIcd})`);
  }
  // The one place the EGL platform is set: Mesa's EGL needs one with no display server, and reads it
  // when Dawn creates the instance.
  process.env['EGL_PLATFORM'] ??= 'surfaceless';
  const instance = dawn.create([`backend=${backend}`, ...flags]);
  dawnInstances.push(instance);
  return instance;
}

/** Whether the dynamic loader can find libvulkan.so.1, looked up the way ld.so does for the usual paths. */
function hasVulkanLoader(): boolean {
  const dirs = [
    ...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== ''),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

/** Whether the Vulkan loader has a driver (ICD) to load: one named in its environment, or a manifest in the usual folders. */
function hasVulkanDriver(): boolean {
  if (['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'].some((v) => (process.env[v] ?? '') !== '')) return true;
  const data = (process.env['XDG_DATA_DIRS'] ?? '/usr/local/share:/usr/share').split(':').filter((d) => d !== '');
  const dirs = [...data.map((d) => join(d, 'vulkan/icd.d')), '/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
  return dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

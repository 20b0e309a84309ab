/**
 * The chromium-swiftshader vitest project as vitest.config.ts builds it ([harness.browser.1]): required in CI,
 * left out with a message elsewhere when no Chromium is found, the run's WGFUSE_* settings passed to the page;
 * and the parts of the browser configuration that Node can check ([harness.browser.2], [harness.browser.3]).
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { BROWSER_TESTS, CHROMIUM_WEBGPU_FLAGS, chromiumProject } from '../harness/browser-project.js';
import { configurationOf } from '../harness/device.js';
import { windowContext } from '../harness/program-device.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the chromium-swiftshader project', () => {
  test('[harness.browser.1] in CI the project is always built, Chromium or not, so a browser that cannot start fails the run', async () => {
    const project = await chromiumProject({ CI: 'true', WGFUSE_CHROMIUM: '/no/such/chromium' });
    expect(project?.test?.name).toBe('chromium-swiftshader');
    expect(project?.test?.include).toEqual(BROWSER_TESTS);
    expect(project?.test?.browser?.enabled).toBe(true);
    expect(project?.test?.browser?.headless).toBe(true);
    expect((await chromiumProject({ WGFUSE_REQUIRE_BROWSER: '1', WGFUSE_CHROMIUM: '/no/such/chromium' }))?.test?.name).toBe('chromium-swiftshader');
  });

  test('[harness.browser.1] outside CI without a Chromium the project is left out, saying how to get one', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    (globalThis as { wgfuseChromiumNoted?: boolean }).wgfuseChromiumNoted = undefined;
    expect(await chromiumProject({ WGFUSE_CHROMIUM: '/no/such/chromium' })).toBeUndefined();
    expect(String(write.mock.calls[0]?.[0])).toMatch(/chromium-swiftshader skipped: no Chromium at \/no\/such\/chromium \(apt-get install -y chromium, or set WGFUSE_CHROMIUM/);
  });

  test('[harness.browser.1] the page gets the run\'s WGFUSE_* settings and navigator.gpu as its backend, and nothing else of the environment', async () => {
    const project = await chromiumProject({ CI: 'true', WGFUSE_SEED: '7', WGFUSE_BACKEND: 'vulkan', HOME: '/root' });
    expect(project?.test?.env).toEqual({ WGFUSE_SEED: '7', WGFUSE_BACKEND: 'navigator', WGFUSE_CONFIGURATION: 'chromium-swiftshader' });
    expect(CHROMIUM_WEBGPU_FLAGS).toContain('--enable-unsafe-webgpu');
  });
});

describe('what a page does without Node', () => {
  test('[harness.browser.2] with no async context a call belongs to the program whose window is open, else to the last that had one', async () => {
    const context = windowContext<string>();
    expect(context.getStore()).toBeUndefined();
    let inside: string | undefined;
    await context.run('a', async () => {
      await Promise.resolve();
      inside = context.getStore();
    });
    expect(inside).toBe('a');
    // After a's window closed its late work is still a's (refused as late), until another window opens.
    expect(context.getStore()).toBe('a');
    const b = context.run('b', async () => context.getStore());
    expect(context.getStore()).toBe('b');
    expect(await b).toBe('b');
    expect(context.getStore()).toBe('b');
  });
});

describe('the configuration a device summary names', () => {
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36';
  const swiftshader = { description: '', device: '', vendor: 'google', architecture: 'swiftshader' };
  test('[harness.browser.3] the browser and its rasterizer, or Dawn\'s backend and its rasterizer, or hardware', () => {
    expect(configurationOf('navigator', swiftshader, chrome)).toBe('chromium-swiftshader');
    expect(configurationOf('navigator', { description: '', device: '', vendor: 'nvidia', architecture: 'hopper' }, chrome)).toBe('chromium-nvidia');
    expect(configurationOf('navigator', swiftshader, 'Deno/2.9.6')).toBe('wgpu-swiftshader');
    expect(configurationOf('vulkan', { ...swiftshader, description: 'SwiftShader driver 5.0.0' }, undefined)).toBe('dawn-vulkan-swiftshader');
    expect(configurationOf('opengl', { description: 'OpenGL 4.5', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', vendor: 'mesa', architecture: '' }, undefined)).toBe('dawn-gl-llvmpipe');
    expect(configurationOf('null', { description: 'null', device: '', vendor: '', architecture: '' }, undefined)).toBe('dawn-null');
  });
});

/**
 * The `chromium-swiftshader` vitest project ([harness.browser.1]): the judging tests and the suite's CPU tests
 * in a page of headless Chromium, on the browser's own navigator.gpu (Chromium's WebGPU over SwiftShader on
 * a machine without a GPU), driven by vitest's browser mode through Playwright. Only Debian's Chromium is
 * used: Playwright's own browser download is never needed. Node only (read by vitest.config.ts).
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import type { BrowserCommand } from 'vitest/node';

/** Where Debian's chromium package puts the browser; WGFUSE_CHROMIUM names another. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium's WebGPU on a machine without a GPU: SwiftShader's Vulkan, which Chromium ships. Verified with Debian's
 * Chromium 156 headless: adapter google/swiftshader, core-features-and-limits, 256 invocations per workgroup.
 */
export const CHROMIUM_WEBGPU_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
] as const;

/** Tests of the page itself: they run in this project only (the Node projects exclude them). */
export const BROWSER_ONLY_TESTS = ['conformance/selftest/browser-configuration.test.ts'];

/**
 * The tests the browser runs: the judging tests on navigator.gpu; the reference's and the harness's device tests
 * that need no Node (the case check, verdicts, planted faults); and the CPU tests (the IR, the tracer, fusion,
 * codegen, the oracle and the generators). Not here: compile-only.test.ts (Dawn's null backend), ir-json (reads
 * its schema from a file), loop-cap (llvmpipe's cap), harness.test.ts and plugin.test.ts (they set process.env),
 * and scripts/ (child processes and files).
 */
export const BROWSER_TESTS = [
  'conformance/judge/fusion.test.ts',
  'conformance/judge/templates.test.ts',
  'conformance/judge/shapes.test.ts',
  'conformance/judge/f16.test.ts',
  'conformance/judge/core-limits.test.ts',
  'conformance/selftest/gated-faults.test.ts',
  'conformance/selftest/f16-cases.test.ts',
  ...BROWSER_ONLY_TESTS,
  'spec/ir/ir.test.ts',
  'reference/tracer/tracing.test.ts',
  'reference/fusion/lower.test.ts',
  'reference/codegen/codegen.test.ts',
  'reference/kernels/reductions.test.ts',
  'conformance/selftest/oracle.test.ts',
  'conformance/selftest/matmul-oracle.test.ts',
  'conformance/selftest/reduction-oracle.test.ts',
  'conformance/selftest/generators.test.ts',
  'conformance/selftest/reduction-generators.test.ts',
  'conformance/selftest/input-space.test.ts',
  'conformance/selftest/matmul-template.test.ts',
  'conformance/selftest/reference-schedule.test.ts',
  'conformance/selftest/reference-on-device.test.ts',
  'conformance/selftest/api.test.ts',
  'conformance/selftest/needs.test.ts',
  'conformance/selftest/check.test.ts',
  'conformance/selftest/verdicts.test.ts',
  'conformance/selftest/reference-wgsl.test.ts',
  'conformance/selftest/faults.test.ts',
];

// What each page's browser printed itself (console warnings and errors), kept in the host: the page cannot read it.
const printed = new WeakMap<object, string[]>();

/** The host's side of browser-setup.ts's commands (Playwright's page, in vitest's main process). */
const watchBrowser: BrowserCommand<[]> = (ctx) => {
  type Message = { type(): string; text(): string; location(): { lineNumber: number; columnNumber: number } };
  const page = (ctx as unknown as { page: { on(event: 'console', f: (m: Message) => void): void } }).page;
  if (printed.has(page)) return;
  const lines: string[] = [];
  printed.set(page, lines);
  page.on('console', (m) => {
    // The browser's own messages carry no script position (a test's console calls do).
    const at = m.location();
    if ((m.type() === 'warning' || m.type() === 'error') && at.lineNumber === 0 && at.columnNumber === 0) lines.push(m.text());
  });
};
/** The page's gate decisions, appended to the ledger the run names ([harness.ledger.1]): a page has no files. */
const ledgerLine: BrowserCommand<[string]> = (_ctx, line) => {
  const dir = process.env['WGFUSE_LEDGER_DIR'];
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'ledger-browser.jsonl'), `${line}\n`);
};
const browserMessages: BrowserCommand<[]> = (ctx) => printed.get((ctx as unknown as { page: object }).page) ?? [];

/** Says once per process (vitest may load its config more than once) why the project is left out. */
function leftOut(why: string): undefined {
  const noted = globalThis as { wgfuseChromiumNoted?: boolean };
  if (noted.wgfuseChromiumNoted !== true) process.stderr.write(`wgfuse: vitest project chromium-swiftshader skipped: ${why}\n`);
  noted.wgfuseChromiumNoted = true;
  return undefined;
}

/**
 * The project, or undefined (with a message on stderr saying how to get what is missing) when no Chromium, or
 * no @vitest/browser-playwright (a dev dependency: an installed wgfuse package runs its main project alone), is
 * found outside CI. In CI (CI=true, or WGFUSE_REQUIRE_BROWSER=1 as .ci/run sets) a missing Chromium still gives
 * the project, so a browser that does not start, or whose WebGPU does not come up, fails the run
 * ([harness.gate.2]), never skips it; a missing provider under WGFUSE_REQUIRE_BROWSER=1 is an error.
 */
export async function chromiumProject(env: Readonly<Record<string, string | undefined>>): Promise<TestProjectInlineConfiguration | undefined> {
  const executablePath = env['WGFUSE_CHROMIUM'] || DEFAULT_CHROMIUM;
  const required = env['CI'] === 'true' || env['WGFUSE_REQUIRE_BROWSER'] === '1';
  if (!required && !existsSync(executablePath)) {
    return leftOut(`no Chromium at ${executablePath} (apt-get install -y chromium, or set WGFUSE_CHROMIUM to a Chromium or Chrome binary)`);
  }
  let playwright: typeof import('@vitest/browser-playwright').playwright;
  try {
    ({ playwright } = await import('@vitest/browser-playwright'));
  } catch (e) {
    // Left out, never thrown: an installed wgfuse package (no dev dependencies) loads this config to run its main
    // project, whatever the environment says. Where the browser is required, scripts/test-configurations.ts
    // fails the run when this project is missing ([harness.browser.1]).
    return leftOut(`@vitest/browser-playwright does not load (npm ci in a wgfuse checkout installs it): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  // The page has no process.env: the run's WGFUSE_* settings reach it as the project's env (runtime.ts envVar).
  const passed = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('WGFUSE_') && e[1] !== undefined));
  return {
    extends: true,
    test: {
      name: 'chromium-swiftshader',
      include: BROWSER_TESTS,
      setupFiles: ['conformance/harness/browser-setup.ts'],
      env: { ...passed, WGFUSE_BACKEND: 'navigator', WGFUSE_CONFIGURATION: 'chromium-swiftshader' },
      browser: {
        enabled: true,
        headless: true,
        // vitest serves the page from localhost, a secure context, so navigator.gpu is exposed.
        provider: playwright({ launchOptions: { executablePath, args: [...CHROMIUM_WEBGPU_FLAGS] } }),
        instances: [{ browser: 'chromium' }],
        commands: { wgfuseWatchBrowser: watchBrowser, wgfuseBrowserMessages: browserMessages, wgfuseLedger: ledgerLine },
        // A failure is reported in text like Node's; no screenshots written beside the tests.
        screenshotFailures: false,
      },
    },
  };
}

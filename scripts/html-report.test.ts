import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { sh } from './lib/sh.js';

// The HTML report as a person sees it: the main job judges a planted fault and writes its reports, and a
// real headless Chromium (Debian's, driven by playwright-core) opens report.html offline.

const ROOT = new URL('..', import.meta.url).pathname;
const CHROMIUM = process.env['WGFUSE_CHROMIUM'] ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'wgfuse-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ReportJson {
  readonly tests: readonly { readonly outcome: string; readonly replay?: string; readonly case?: { readonly graph: { readonly nodes: readonly unknown[] } } }[];
}

describe('the HTML report in a browser', () => {
  test('[suite.report.2] report.html opens offline and shows the run, every test, and each failure with its findings, replay line, graph and WGSL', async (ctx) => {
    await gate(ctx, { execution: true });
    if (!existsSync(CHROMIUM)) {
      // CI installs Chromium and sets WGFUSE_REQUIRE_BROWSER=1, so there this is a failure, not a skip.
      if (process.env['WGFUSE_REQUIRE_BROWSER'] === '1') throw new Error(`[suite.report.2] WGFUSE_REQUIRE_BROWSER=1: no Chromium at ${CHROMIUM} (apt-get install chromium, or set WGFUSE_CHROMIUM)`);
      ctx.skip(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set WGFUSE_CHROMIUM`);
    }
    const filter = "'fusion\\.chain\\.1\\] random|fusion\\.prologue\\.1\\]'";
    const ran = await sh(`npx tsx scripts/conformance.ts --impl ./conformance/selftest/fixtures/drops-epilogue-op.ts --filter ${filter} --runs 10 --seed 9 --report ${dir}`, { cwd: ROOT });
    expect(ran.code, ran.out).toBe(1);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportJson;
    const failures = report.tests.filter((t) => t.outcome === 'failed');
    expect(failures.length).toBeGreaterThan(0);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const fetched: string[] = [];
      page.on('request', (r) => fetched.push(r.url()));
      await page.goto(`file://${join(dir, 'report.html')}`);
      expect(fetched.filter((u) => !u.startsWith('file://')), 'the page loads nothing from elsewhere').toEqual([]);
      expect(await page.title()).toBe('wgfuse conformance: mutant: drop-epilogue-op');
      expect(await page.locator('.banner').innerText()).toMatch(/^FAIL: \d+ passed, \d+ failed/);
      expect(await page.locator('tr.test').count()).toBe(report.tests.length);
      const sections = page.locator('section.failure');
      expect(await sections.count()).toBe(failures.length);
      const first = sections.first();
      expect(await first.locator('pre.findings').innerText()).toMatch(/^\[numerics\.oracle\.1\] mutant: drop-epilogue-op: \d+ failed checks? on case: /);
      expect(await first.locator('code.replay').innerText()).toBe(failures[0]?.replay);
      expect(await first.locator('svg.graph g.node').count()).toBe(failures[0]?.case?.graph.nodes.length);
      expect(await first.locator('svg.graph g.node.output').count()).toBeGreaterThan(0);
      await first.locator('details summary').click();
      expect(await first.locator('pre.wgsl').innerText()).toContain('@compute');
      const shot = await first.screenshot();
      expect(shot.byteLength).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});

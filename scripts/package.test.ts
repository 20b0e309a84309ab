import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { sh } from './lib/sh.js';
import type { Ran } from './lib/sh.js';

// wgfuse as an implementer installs it: `npm pack` here, `npm i -D <tarball> <their peer>` in an empty
// project, and `npx wgfuse run --impl ./adapter.ts --expect ...` there, with a TypeScript adapter and no build
// step. The peer is jax-js, with the adapter and expectations file of adapters/jax-js/.

const ROOT = new URL('..', import.meta.url).pathname;
const project = mkdtempSync(join(tmpdir(), 'wgfuse-user-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const run = (command: string, cwd: string): Promise<Ran> => sh(command, { cwd });

/** The exact version this repo pins a peer at (package.json devDependencies). */
function pinned(name: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const version = pkg.devDependencies[name];
  if (version === undefined) throw new Error(`package.json pins no ${name}`);
  return version;
}

describe('the packed package, in a project of its own', () => {
  test('[suite.package.1] the tarball installs into an empty project beside a real peer, and `npx wgfuse run` judges its adapter there against its expectations, writing its reports; judging nothing fails', async (ctx) => {
    await gate(ctx, { execution: true });
    const packed = await run(`npm pack --silent --pack-destination ${project}`, ROOT);
    expect(packed.code, packed.out).toBe(0);
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
    expect(tarball, packed.out).toBeDefined();
    // The dependencies come from npm's cache when the repo's own install filled it; the peer is the version
    // adapters/jax-js/ pins.
    const installed = await run(`npm init -y >/dev/null && npm i -D ./${tarball} @jax-js/jax@${pinned('@jax-js/jax')} --prefer-offline --no-audit --no-fund`, project);
    expect(installed.code, installed.out).toBe(0);
    // The peer's adapter and expectations, as its maintainers would keep them in their own repo: the adapter's
    // type imports name the installed package instead of the checkout.
    writeFileSync(join(project, 'adapter.ts'), readFileSync(join(ROOT, 'adapters/jax-js/adapter.ts'), 'utf8').replaceAll("'../../spec/", "'wgfuse/spec/"));
    copyFileSync(join(ROOT, 'adapters/jax-js/expectations.json'), join(project, 'expectations.json'));
    const help = await run('npx wgfuse --help', project);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/^ {2}run +judge an implementation/m);
    const ran = await run('npx wgfuse run --impl ./adapter.ts --expect ./expectations.json --runs 40 --seed 20261206 --report out', project);
    expect(ran.code, ran.out).toBe(0);
    expect(ran.out).toContain('implementation: jax-js 0.1.25 (WebGPU)');
    expect(ran.out).toMatch(/conformance: [1-9]\d* passed, [1-9]\d* failed/);
    expect(ran.out).toContain('expectations: every outcome as expected');
    for (const f of ['report.json', 'junit.xml', 'report.html']) expect(existsSync(join(project, 'out', f)), f).toBe(true);
    // Outcomes that do not match the expectations fail the run.
    const unexpected = await run("npx wgfuse run --impl ./adapter.ts --runs 3 --seed 5 --filter 'fusion\\.epilogue\\.3\\]'", project);
    expect(unexpected.code, unexpected.out).toBe(1);
    const nothing = await run("npx wgfuse run --impl ./adapter.ts --filter 'names no test'", project);
    expect(nothing.code, nothing.out).toBe(1);
    expect(nothing.out).toContain('conformance: no test judged the implementation');
  });
});

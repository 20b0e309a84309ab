import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { sh } from './lib/sh.js';
import type { Ran } from './lib/sh.js';

// wgfuse as an implementer installs it: `npm pack` here, `npm i -D <tarball>` in an empty project, and
// `npx wgfuse run --impl ./adapter.ts` there, with a TypeScript adapter and no build step.

const ROOT = new URL('..', import.meta.url).pathname;
const project = mkdtempSync(join(tmpdir(), 'wgfuse-user-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const run = (command: string, cwd: string): Promise<Ran> => sh(command, { cwd });

describe('the packed package, in a project of its own', () => {
  test('[suite.package.1] the tarball installs into an empty project, and `npx wgfuse run` judges an adapter there, writing its reports; judging nothing fails', async (ctx) => {
    await gate(ctx, { execution: true });
    const packed = await run(`npm pack --silent --pack-destination ${project}`, ROOT);
    expect(packed.code, packed.out).toBe(0);
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
    expect(tarball, packed.out).toBeDefined();
    // The dependencies come from npm's cache when the repo's own install filled it.
    const installed = await run(`npm init -y >/dev/null && npm i -D ./${tarball} --prefer-offline --no-audit --no-fund`, project);
    expect(installed.code, installed.out).toBe(0);
    writeFileSync(
      join(project, 'adapter.ts'),
      [
        "import type { Implementation } from 'wgfuse/spec/implementation.ts';",
        "import { fusedReference } from 'wgfuse/reference/index.ts';",
        '',
        "export const implementation: Implementation = { name: 'an adapter in its own project', compile: (g, k, d) => fusedReference.compile(g, k, d) };",
        '',
      ].join('\n'),
    );
    const help = await run('npx wgfuse --help', project);
    expect(help.code, help.out).toBe(0);
    expect(help.out).toMatch(/^ {2}run +judge an implementation/m);
    const ran = await run("npx wgfuse run --impl ./adapter.ts --filter 'fusion\\.chain\\.1\\] random|fusion\\.epilogue\\.1\\]' --runs 3 --seed 5 --report out", project);
    expect(ran.code, ran.out).toBe(0);
    expect(ran.out).toContain('implementation: an adapter in its own project');
    expect(ran.out).toMatch(/conformance: [1-9]\d* passed, 0 failed/);
    expect(existsSync(join(project, 'out', 'report.json')) && existsSync(join(project, 'out', 'junit.xml'))).toBe(true);
    const nothing = await run("npx wgfuse run --impl ./adapter.ts --filter 'names no test'", project);
    expect(nothing.code, nothing.out).toBe(1);
    expect(nothing.out).toContain('conformance: no test judged the implementation');
  });
});

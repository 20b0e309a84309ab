import { describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { sh } from './lib/sh.js';
import type { Ran } from './lib/sh.js';

// An implementation in another language, run as a command ([interface.command.1]): the Python example
// under adapters/ is judged with its expectations file, and commands that crash, hang or print garbage
// are each reported as that implementation's failure, naming what went wrong ([interface.command.2]).

const ROOT = new URL('..', import.meta.url).pathname;

const mainJob = (args: string): Promise<Ran> => sh(`npx tsx scripts/conformance.ts ${args}`, { cwd: ROOT });

describe('implementations run as commands', () => {
  test('[interface.command.1] the Python example is judged through the command protocol, and every outcome is the one its expectations file gives', async (ctx) => {
    await gate(ctx, { execution: true });
    const r = await mainJob("--impl 'cmd:python3 adapters/python-eager/wgfuse_eager.py' --expect adapters/python-eager/expectations.json --runs 5 --seed 11");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('expectations: every outcome as expected');
    expect(r.out).toMatch(/conformance: [1-9]\d* passed, [1-9]\d* failed/);
  });

  test('[interface.command.2] a command that exits non-zero, hangs, or prints something other than a program fails compile, saying which', async (ctx) => {
    await gate(ctx, { execution: true });
    // Only the hang waits on the 2-second limit; the others get a minute, so a loaded machine (a slow
    // python3 start) still sees them crash or answer rather than time out.
    const one = "--filter 'fusion\\.prologue\\.1\\] the seed'";
    const [crash, hang, garbage, wrongShape] = await Promise.all([
      mainJob(`--impl 'cmd:python3 -c "import sys; sys.stderr.write(\\"boom\\"); sys.exit(3)"' ${one} --timeout 60000`),
      mainJob(`--impl 'cmd:sleep 30' ${one} --timeout 2000`),
      mainJob(`--impl 'cmd:echo hello' ${one} --timeout 60000`),
      mainJob(`--impl 'cmd:echo {\\"kernels\\": [{\\"wgsl\\": 1}]}' ${one} --timeout 60000`),
    ]);
    for (const r of [crash, hang, garbage, wrongShape]) expect(r.code, r.out).toBe(1);
    // The command's stderr follows; a pyenv shim may write its own lines first (seen when two tests start python3 at once).
    expect(crash.out).toMatch(/\[interface\.compile\.1\] failed: implementation 'command: python3 -c .*', stage compile: compile\(\) threw: \[interface\.command\.2\] '.*' exited with status 3; stderr:\s+(?:.*\n)*?boom/);
    expect(hang.out).toMatch(/\[interface\.command\.2\] 'sleep 30' did not answer within 2000 ms; it was stopped|TIMEOUT/);
    expect(garbage.out).toContain(`[interface.command.2] 'echo hello' printed something that is not JSON: "hello\\n"`);
    expect(wrongShape.out).toMatch(/\[interface\.command\.2\] '.*' answered JSON that is not a program: kernels\[0\](\.wgsl)?: must/);
  });
});

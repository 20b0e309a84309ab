import { execFile } from 'node:child_process';

export interface Ran {
  readonly code: number;
  /** stdout then stderr. */
  readonly out: string;
  readonly ms: number;
}

// A safety net for the tests that run commands, so a regression that hangs fails the test instead of
// holding CI: far beyond any run seen (the slowest, a cold run beside two busy loops, took about 2 min).
const SAFETY_MS = 15 * 60_000;

/** Runs `command` with bash, as a user would type it; never rejects. */
export function sh(command: string, options: { cwd: string; env?: Readonly<Record<string, string>> }): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: SAFETY_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const killed = error !== null && error.killed === true ? `\n(stopped after ${SAFETY_MS} ms: the command hung)` : '';
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, out: `${stdout}${stderr}${killed}`, ms: performance.now() - started });
      },
    );
  });
}

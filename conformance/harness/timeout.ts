/**
 * Bounded waiting. Every promise the harness gets from an implementation or a driver goes through
 * `withTimeout`, so a hang becomes a reported failure instead of a stuck test ([interface.run.2]).
 */
import { envVar } from './runtime.js';

/** The default wait for each stage (compile, run, readback): generous, since a cold llvmpipe compile of a large
 * program, or a peer's first run, can take minutes; WGFUSE_TIMEOUT_MS or --timeout changes it. */
export const DEFAULT_STAGE_TIMEOUT_MS = 300_000;

/** The stage timeout in force: WGFUSE_TIMEOUT_MS when set (a positive integer of milliseconds), else the default. */
export function stageTimeoutMs(): number {
  const raw = envVar('WGFUSE_TIMEOUT_MS');
  if (raw === undefined || raw === '') return DEFAULT_STAGE_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`[harness.timeout.1] WGFUSE_TIMEOUT_MS=${raw} is not a positive integer of milliseconds`);
  return ms;
}

/** The rejection of withTimeout, so callers can tell a hang from a failure. */
export class TimeoutError extends Error {
  constructor(
    readonly ms: number,
    readonly what: string,
  ) {
    super(`timed out after ${ms} ms: ${what}`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with a TimeoutError (`timed out after <ms> ms: <what>`) unless `p` settles first; the timer never outlives the race. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms, what)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** A readable description of anything thrown: the name (unless plain `Error`) and the message, which may span lines (WGSL diagnostics do). */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const message = e.message.trim();
    return e.name === 'Error' || e.name === '' || e instanceof TimeoutError ? message : `${e.name}: ${message}`;
  }
  // GPUError-like objects (a GPUValidationError from popErrorScope) are not Errors in every implementation.
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') {
    const name = e.constructor?.name;
    return name !== undefined && name !== 'Object' ? `${name}: ${e.message.trim()}` : e.message.trim();
  }
  return String(e);
}

/**
 * A watchdog for the one failure no timer can catch: an implementation that blocks the event loop (a
 * busy loop in JavaScript). A thread of its own watches a heartbeat the test process's event loop keeps
 * up; when the heartbeat stops for longer than the stage timeout, it writes what was running (the test,
 * the implementation and its stage) to stderr and to WGFUSE_WATCHDOG_DIR, and stops the process, so
 * the run goes on with the next test file and the failure is reported as that implementation's hang
 * ([interface.run.2]). Started once per test process by conformance/harness/setup.ts, in Node only: a
 * browser page has no thread that can stop it ([harness.browser.2]), and the rest of this file loads there.
 */
import { nodeBuiltin } from './runtime.js';

/** What the watchdog writes when it stops a process, one JSON file per process. */
export interface StallReport {
  readonly pid: number;
  /** The full name of the test that was running. */
  readonly test: string;
  /** `<implementation> <stage>` while the harness was inside one, else empty. */
  readonly stage: string;
  /** How long the event loop had been blocked. */
  readonly blockedMs: number;
}

const TEXT_BYTES = 2048;
// [heartbeat (ms since start, updated by the event loop), test name length, stage length]
let shared: { readonly beat: Int32Array; readonly test: Uint8Array; readonly stage: Uint8Array } | undefined;

// The thread is plain JavaScript, evaluated as is: it must not depend on the test process's transforms.
const THREAD = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { beat, test, stage, limitMs, dir, pid, start } = workerData;
const decode = (bytes, n) => Buffer.from(bytes.subarray(0, n)).toString('utf8');
const tick = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  Atomics.wait(tick, 0, 0, Math.min(1000, limitMs / 4));
  const blockedMs = Date.now() - start - Atomics.load(beat, 0);
  if (blockedMs <= limitMs) continue;
  const report = { pid, test: decode(test, Atomics.load(beat, 1)), stage: decode(stage, Atomics.load(beat, 2)), blockedMs };
  const line = '[interface.run.2] watchdog: the event loop was blocked for ' + blockedMs + ' ms during ' + JSON.stringify(report.test) +
    (report.stage ? ' (' + report.stage + ')' : '') + '; stopping this test process so the run goes on';
  try { fs.writeSync(2, line + '\\n'); } catch {}
  if (dir) { try { fs.writeFileSync(path.join(dir, 'stall-' + pid + '.json'), JSON.stringify(report)); } catch {} }
  process.kill(pid, 'SIGKILL');
}
`;

/** Starts the watchdog thread and the heartbeat, once per process. `limitMs` is how long a block may last. */
export function startWatchdog(limitMs: number): void {
  if (shared !== undefined) return;
  const beat = new Int32Array(new SharedArrayBuffer(12));
  const test = new Uint8Array(new SharedArrayBuffer(TEXT_BYTES));
  const stage = new Uint8Array(new SharedArrayBuffer(TEXT_BYTES));
  shared = { beat, test, stage };
  const start = Date.now();
  const dir = process.env['WGFUSE_WATCHDOG_DIR'] ?? '';
  if (dir !== '') nodeBuiltin('node:fs', 'the watchdog').mkdirSync(dir, { recursive: true });
  setInterval(() => Atomics.store(beat, 0, Date.now() - start), 100).unref();
  const { Worker } = nodeBuiltin('node:worker_threads', 'the watchdog');
  const worker = new Worker(THREAD, { eval: true, workerData: { beat, test, stage, limitMs, dir, pid: process.pid, start } });
  worker.unref();
}

function write(into: Uint8Array, slot: number, text: string): void {
  if (shared === undefined) return;
  const bytes = new TextEncoder().encode(text).subarray(0, TEXT_BYTES);
  into.set(bytes);
  Atomics.store(shared.beat, slot, bytes.length);
}

/** Records the test now running, for the watchdog's report. */
export function watchTest(name: string): void {
  if (shared !== undefined) write(shared.test, 1, name);
}

/** Records the implementation stage now running (empty when none), for the watchdog's report. */
export function watchStage(what: string): void {
  if (shared !== undefined) write(shared.stage, 2, what);
}

/** The stall reports in `dir`, for the main job's report; unreadable files are skipped. */
export function readStallReports(dir: string, read: (path: string) => string, list: (dir: string) => string[]): StallReport[] {
  const reports: StallReport[] = [];
  for (const f of list(dir).filter((n) => n.startsWith('stall-') && n.endsWith('.json'))) {
    try {
      reports.push(JSON.parse(read(`${dir.replace(/\/+$/, '')}/${f}`)) as StallReport);
    } catch {
      // A report cut short by the kill says nothing reliable.
    }
  }
  return reports;
}


// Runs in every test process before each test file. It starts the watchdog that stops a process whose
// event loop an implementation blocks, tells it which test is running, and after each test records how
// many compile() calls the implementation under test received, so the main job can tell a judging test
// that judged nothing.
import { afterEach, beforeEach } from 'vitest';
import type { IrDocument } from '../ir-json/document.js';
import { takeFailingCase } from '../properties/check.js';
import { takeImplementationCalls } from '../properties/implementation-under-test.js';
import { inNode } from './runtime.js';
import { stageTimeoutMs } from './timeout.js';
import { startWatchdog, watchTest } from './watchdog.js';

declare module 'vitest' {
  interface TaskMeta {
    implementationCalls?: number;
    /** The last case the test failed, as an IR document, for the report. */
    failingCase?: IrDocument;
  }
}

// A block longer than any stage may take, with a floor so a short stage timeout cannot trip it on a slow
// synchronous call: on a loaded 2-core machine one took 2032 ms under `--timeout 2000` and was killed.
// Node only: a browser page has no thread that could stop it ([harness.browser.2]).
if (inNode) startWatchdog(Math.max(stageTimeoutMs(), 10_000));

beforeEach((ctx) => {
  watchTest(`${ctx.task.file.name} > ${ctx.task.name}`);
  takeFailingCase();
});

afterEach((ctx) => {
  ctx.task.meta.implementationCalls = takeImplementationCalls();
  const failing = takeFailingCase();
  if (failing !== undefined) ctx.task.meta.failingCase = failing;
});

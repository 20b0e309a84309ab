// Runs in every test process before each test file: after each test, record how many compile() calls
// the implementation under test received, so the main job can tell a judging test that judged nothing.
import { afterEach } from 'vitest';
import { takeImplementationCalls } from '../properties/implementation-under-test.js';

declare module 'vitest' {
  interface TaskMeta {
    implementationCalls?: number;
  }
}

afterEach((ctx) => {
  ctx.task.meta.implementationCalls = takeImplementationCalls();
});

import { describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { runProgram } from '../conformance/harness/run-program.js';
import { PATTERNS } from '../conformance/patterns.js';
import { fusedReference } from './implementation.js';
import { numel } from './ir/index.js';

describe('reference runtime', () => {
  test('[runtime.cache.1] compiling the same kernel twice creates its pipeline once', async (ctx) => {
    const gpu = await gate(ctx, { device: true });
    // A shape no other test uses, so the first compile in this process is a cache miss.
    const p = PATTERNS.find((q) => q.rule === 'fusion.epilogue.2');
    if (p === undefined) throw new Error('pattern missing');
    const inputs = p.graph.inputs.map((id) => new Float32Array(numel(p.graph.nodes[id]?.shape ?? [])).fill(1));
    const first = await runProgram(fusedReference, p.graph, p.kernels, inputs, gpu);
    const second = await runProgram(fusedReference, p.graph, p.kernels, inputs, gpu);
    if (!first.ok || !second.ok) throw new Error(first.ok ? (second as { message: string }).message : first.message);
    expect(first.compileCounts.pipelinesCreated).toBe(1);
    expect(second.compileCounts.pipelinesCreated).toBe(0);
    expect(second.counts.dispatches).toBe(1);
  });
});

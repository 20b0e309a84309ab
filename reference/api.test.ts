import { describe, expect, test } from 'vitest';
import { gate } from '../conformance/harness/gates.js';
import { compile, createRegistry, elementwiseAdd, interpret } from './index.js';
import type { Tensor } from './index.js';

describe('reference/api.ts', () => {
  test('[api.compile.1] compile() runs the seed fused as one kernel and eager as four, both equal to the interpreter', async (ctx) => {
    await gate(ctx, { execution: true });
    const registry = createRegistry();
    const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } });
    const f = (x: Tensor, y: Tensor) => add(x.mul(2), y.add(1)).relu();
    const inputs = { x: [4, 4], y: [4, 4] };
    const fused = compile(f, { backend: 'fused', inputs, registry });
    const eager = compile(f, { backend: 'eager', inputs, registry });
    const x = Float32Array.from({ length: 16 }, (_, i) => i / 4 - 2);
    const y = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const want = interpret(fused.graph, registry.kernels, [x, y]);
    expect(await fused.run(x, y)).toEqual(want);
    expect(await eager.run(x, y)).toEqual(want);
    expect(fused.wgsl()).toHaveLength(1);
    expect(eager.wgsl()).toHaveLength(4);
  });
});

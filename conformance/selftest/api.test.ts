import { describe, expect, test } from 'vitest';
import { gate } from '../harness/gates.js';
import { interpret } from '../../spec/index.js';
import { compile, createRegistry, elementwiseAdd } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';

describe('reference/api.ts', () => {
  test('[api.compile.1] compile() runs the seed fused as one kernel and eager as four, both equal to the interpreter', async (ctx) => {
    const { device } = await gate(ctx, { execution: true });
    const registry = createRegistry();
    const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } });
    const f = (x: Tensor, y: Tensor) => add(x.mul(2), y.add(1)).relu();
    const inputs = { x: [4, 4], y: [4, 4] };
    const fused = compile(f, { backend: 'fused', inputs, registry, device });
    const eager = compile(f, { backend: 'eager', inputs, registry, device });
    const x = Float32Array.from({ length: 16 }, (_, i) => i / 4 - 2);
    const y = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const want = interpret(fused.graph, [x, y]);
    expect(await fused.run(x, y)).toEqual(want);
    expect(await eager.run(x, y)).toEqual(want);
    expect(fused.wgsl()).toHaveLength(1);
    expect(eager.wgsl()).toHaveLength(4);
  });
});

describe('reference/api.ts input checks', () => {
  test("[api.compile.1] a backend other than 'fused' or 'eager' is refused, naming it", () => {
    const registry = createRegistry();
    const options = { backend: 'fussed', inputs: { x: [2] }, registry, device: undefined as unknown as GPUDevice } as unknown as Parameters<typeof compile>[1];
    expect(() => compile((x: Tensor) => x.relu(), options)).toThrow(/\[api\.compile\.1\] backend 'fussed' is neither 'fused' nor 'eager'/);
  });

  test('[interface.inputs.1] an input that is not a Float32Array, or of the wrong length, is refused by name before anything runs', async (ctx) => {
    const { device } = await gate(ctx, { execution: true });
    const registry = createRegistry();
    const f = compile((x: Tensor) => x.relu(), { backend: 'fused', inputs: { x: [4] }, registry, device });
    await expect(f.run(new Float64Array(4) as unknown as Float32Array)).rejects.toThrow('[interface.inputs.1] input 0 (%0) is a Float64Array; every input is a Float32Array (an f16 input\'s values are f16 values)');
    await expect(f.run(new Float32Array(3))).rejects.toThrow(/\[interface\.inputs\.1\] input 0 \(%0 \[4\]\) needs 4 elements, got 3/);
    await expect(f.run()).rejects.toThrow('[interface.inputs.1] the graph takes 1 input(s), got 0');
  });
});

import { describe, expect, test } from 'vitest';
import { createRegistry, elementwiseAdd, printGraph, trace, verifyGraph } from '../reference/index.js';
import type { Graph, Tensor } from '../reference/index.js';

// Tracing, the registry contract and the graph verifier: CPU only, every error names its rule.

function seedRegistry() {
  const registry = createRegistry();
  const add = registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } });
  return { registry, add };
}

describe('tracing', () => {
  test('[trace.call.1] a registered kernel called on proxies is one call node, not inlined', () => {
    const { add } = seedRegistry();
    const g = trace((x: Tensor, y: Tensor) => add(x.mul(2), y.add(1)).relu(), { x: [4, 4], y: [4, 4] });
    expect(printGraph(g)).toBe(
      [
        '%0 = input x: f32[4,4]',
        '%1 = input y: f32[4,4]',
        '%2 = const 2: f32[]',
        '%3 = mul(%0, %2): f32[4,4]',
        '%4 = const 1: f32[]',
        '%5 = add(%1, %4): f32[4,4]',
        '%6 = call add[default: blocks [4,4]](%3, %5): f32[4,4]',
        '%7 = relu(%6): f32[4,4]',
        'return %7',
      ].join('\n'),
    );
    expect(g.nodes.filter((n) => n.kind === 'call')).toHaveLength(1);
  });

  test('[trace.control.1] using a traced value as a number is a trace error', () => {
    expect(() => trace((x: Tensor) => ((x as unknown as number) > 0 ? x : x.neg()), { x: [2] })).toThrow(/\[trace\.control\.1\].*Control flow on tensor values/);
    expect(() => trace((x: Tensor) => x.add((x as unknown as number) * 2), { x: [2] })).toThrow(/\[trace\.control\.1\]/);
  });

  test('[trace.output.1] a traced function must return tensors of its own trace', () => {
    expect(() => trace(() => 3 as unknown as Tensor, { x: [2] })).toThrow(/\[trace\.output\.1\] output 0: .*number/);
  });

  test('[ir.broadcast.1] shapes that do not broadcast are rejected where the op is traced', () => {
    expect(() => trace((x: Tensor, y: Tensor) => x.add(y), { x: [2, 3], y: [3, 2] })).toThrow(
      '[ir.broadcast.1] add(%0, %1): shapes [2,3] and [3,2] do not broadcast (dimension -2 is 2 against 3). hint: extents must match or be 1',
    );
  });

  test('[ir.broadcast.1] legal broadcasts give the numpy result shape', () => {
    const g = trace((x: Tensor, r: Tensor, c: Tensor) => x.add(r).mul(c), { x: [2, 3, 4], r: [4], c: [3, 1] });
    expect(g.nodes.at(-1)?.shape).toEqual([2, 3, 4]);
  });

  test('[ir.shape.1] extents must be positive integers', () => {
    expect(() => trace((x: Tensor) => x.relu(), { x: [2, 0] })).toThrow(/\[ir\.shape\.1\] input x: extent 0/);
  });
});

describe('registry', () => {
  test('[registry.name.1] a duplicate kernel name is rejected', () => {
    const { registry } = seedRegistry();
    expect(() => registry.register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [1, 1] } } })).toThrow(/\[registry\.name\.1\] kernel 'add' is already registered/);
  });

  test('[registry.config.1] configs must give the template its block sizes', () => {
    const registry = createRegistry();
    expect(() => registry.register('k', { template: elementwiseAdd, configs: { default: { blockSizes: [4] } } })).toThrow(/\[registry\.config\.1\] k: config 'default' has blockSizes \[4\]; elementwise_add needs 2/);
    expect(() => registry.register('k', { template: elementwiseAdd, configs: {} })).toThrow(/\[registry\.config\.1\] k: no configs/);
  });

  test('[registry.config.2] a picker returning an unknown key is a clear error', () => {
    const registry = createRegistry();
    const k = registry.register('k', { template: elementwiseAdd, configs: { small: { blockSizes: [1, 1] } }, configPicker: () => 'huge' });
    expect(() => trace((x: Tensor, y: Tensor) => k(x, y), { x: [2], y: [2] })).toThrow("[registry.config.2] k: the picker returned 'huge', which is not a config key. hint: keys are small");
  });

  test('[registry.config.3] a picker returning nothing falls back to default, and fails without one', () => {
    const registry = createRegistry();
    const seen: string[][] = [];
    const k = registry.register('k', {
      template: elementwiseAdd,
      configs: { default: { blockSizes: [2, 2] }, wide: { blockSizes: [1, 64] } },
      configPicker: (args, keys) => {
        seen.push([...keys]);
        return (args[0]?.shape.at(-1) ?? 0) >= 64 ? 'wide' : undefined;
      },
    });
    const narrow = trace((x: Tensor, y: Tensor) => k(x, y), { x: [3], y: [3] });
    const wide = trace((x: Tensor, y: Tensor) => k(x, y), { x: [100], y: [100] });
    expect(narrow.nodes.find((n) => n.kind === 'call')).toMatchObject({ configKey: 'default', config: { blockSizes: [2, 2] } });
    expect(wide.nodes.find((n) => n.kind === 'call')).toMatchObject({ configKey: 'wide', config: { blockSizes: [1, 64] } });
    expect(seen[0]).toEqual(['default', 'wide']);
    const bare = createRegistry().register('b', { template: elementwiseAdd, configs: { only: { blockSizes: [1, 1] } } });
    expect(() => trace((x: Tensor, y: Tensor) => bare(x, y), { x: [2], y: [2] })).toThrow(/\[registry\.config\.3\] b: the picker chose no config and there is no 'default' key/);
  });

  test('[registry.call.1] a kernel called with the wrong number of tensors is a clear error', () => {
    const { add } = seedRegistry();
    expect(() => trace((x: Tensor) => add(x), { x: [2] })).toThrow('[registry.call.1] add(%0): add takes 2 tensor(s), got 1');
  });

  test('[registry.call.3] a kernel called with the wrong rank is a clear error', () => {
    const { add } = seedRegistry();
    expect(() => trace((x: Tensor, y: Tensor) => add(x, y), { x: [1, 1, 1, 1, 1, 1, 2], y: [1, 1, 1, 1, 1, 1, 2] })).toThrow(/\[registry\.call\.3\] .*rank 7 .* takes rank 1\.\.6/);
  });

  test('[registry.call.4] kernel arguments must be tensors of the current trace', () => {
    const { add } = seedRegistry();
    expect(() => trace((x: Tensor) => add(x, 3 as unknown as Tensor), { x: [2] })).toThrow(/\[registry\.call\.4\] add\(%0, 3\): argument 1 is not a tensor of this trace/);
  });

  test('[registry.call.shape] the seed kernel takes x and y of one shape', () => {
    const { add } = seedRegistry();
    expect(() => trace((x: Tensor, y: Tensor) => add(x, y), { x: [4, 4], y: [4] })).toThrow(/\[registry\.call\.shape\] add\(%0, %1\): elementwise_add needs x and y of one shape, got \[4,4\] and \[4\]/);
  });
});

describe('graph verifier', () => {
  const base: Graph = {
    nodes: [
      { kind: 'input', id: 0, name: 'x', dtype: 'f32', shape: [2] },
      { kind: 'op', id: 1, op: 'relu', args: [0], dtype: 'f32', shape: [2] },
    ],
    inputs: [0],
    outputs: [1],
  };
  const withNode = (node: unknown): Graph => ({ ...base, nodes: [base.nodes[0], node] as Graph['nodes'] });

  test('[ir.graph.1] a well-formed graph passes and a forward reference is rejected', () => {
    expect(() => verifyGraph(base)).not.toThrow();
    expect(() => verifyGraph(withNode({ ...base.nodes[1], args: [1] }))).toThrow(/\[ir\.graph\.1\] %1: operand %1 is not an earlier node/);
  });

  test('[ir.op.unknown] an unknown op is named, with the known ones', () => {
    expect(() => verifyGraph(withNode({ ...base.nodes[1], op: 'gelu' }))).toThrow(/\[ir\.op\.unknown\] %1: unknown op 'gelu'. hint: known ops are neg, abs/);
  });

  test('[ir.op.arity] an op with the wrong operand count is rejected', () => {
    expect(() => verifyGraph(withNode({ ...base.nodes[1], op: 'add' }))).toThrow(/\[ir\.op\.arity\] %1: add takes 2 operand\(s\), got 1/);
  });

  test('[ir.broadcast.1] a stored shape that is not the broadcast of the operands is rejected', () => {
    expect(() => verifyGraph(withNode({ ...base.nodes[1], shape: [3] }))).toThrow(/\[ir\.broadcast\.1\] %1: shape \[3\] is not the broadcast \[2\]/);
  });

  test('[ir.graph.3] outputs must exist and not be constants', () => {
    expect(() => verifyGraph({ ...base, outputs: [] })).toThrow(/\[ir\.graph\.3\] graph: a graph needs at least one output/);
    expect(() => verifyGraph({ ...base, outputs: [7] })).toThrow(/\[ir\.graph\.3\] graph: output %7 does not exist/);
  });

  test('[ir.dtype.1] only f32 is accepted today', () => {
    expect(() => verifyGraph({ ...base, nodes: [{ ...base.nodes[0], dtype: 'f16' } as unknown as Graph['nodes'][number], base.nodes[1] as Graph['nodes'][number]] })).toThrow(/\[ir\.dtype\.1\] %0: dtype f16 is not supported/);
  });
});

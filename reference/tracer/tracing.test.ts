import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, createRegistry, elementwiseAdd, generateProgram, interpret, lowerGraph, printGraph, trace, verifyGraph, TEMPLATES } from '../index.js';
import type { Graph, KernelTemplate, Tensor } from '../index.js';

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

  test('[trace.graph.1] inputs are recorded in order with their names, and numbers become constants', () => {
    const g = trace((a: Tensor, b: Tensor) => b.sub(a).mul(0.5), { a: [3], b: [3] });
    expect(g.inputs.map((id) => g.nodes[id])).toMatchObject([{ name: 'a', shape: [3] }, { name: 'b', shape: [3] }]);
    expect(g.nodes.filter((n) => n.kind === 'const').map((n) => (n.kind === 'const' ? n.value : NaN))).toEqual([0.5]);
    expect(g.outputs).toEqual([g.nodes.length - 1]);
  });

  test('[trace.operand.1] a binary operand must be a number or a tensor of the same trace', () => {
    let stray: Tensor | undefined;
    trace((x: Tensor) => (stray = x), { x: [2] });
    expect(() => trace((x: Tensor) => x.add(stray as Tensor), { x: [2] })).toThrow(/\[trace\.operand\.1\] add\(%0, \?\): the second operand is not a number or a tensor of this trace/);
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

  test('[registry.name.2] a kernel name must be an identifier', () => {
    expect(() => createRegistry().register('my-add', { template: elementwiseAdd, configs: { default: { blockSizes: [1, 1] } } })).toThrow(/\[registry\.name\.2\] kernel name 'my-add' is not an identifier/);
  });

  test('[registry.name.3] looking up an unregistered kernel names the registered ones', () => {
    const other = createRegistry();
    other.register('sub', { template: elementwiseAdd, configs: { default: { blockSizes: [1, 1] } } });
    expect(() => other.get('add')).toThrow(/\[registry\.name\.3\] no kernel named 'add' is registered. hint: registered: sub/);
  });

  test('[ir.call.1] a call records the semantic id of its kernel, and lowering a call of unknown semantics names the known ones', () => {
    const { add } = seedRegistry();
    const g = trace((x: Tensor, y: Tensor) => add(x, y), { x: [2], y: [2] });
    const call = g.nodes[2];
    expect(call).toMatchObject({ kind: 'call', kernel: 'add', semantics: 'elementwise_add' });
    const unknown = { ...g, nodes: g.nodes.map((n) => (n.kind === 'call' ? { ...n, semantics: 'elementwise_sub' } : n)) };
    expect(() => lowerGraph(unknown, TEMPLATES)).toThrow(/\[ir\.call\.1\] %2 = call add\(%0, %1\): no kernel semantics 'elementwise_sub'. hint: known: elementwise_add, matmul, softmax, rmsnorm/);
  });

  test('[registry.settings.2] a registration with a misspelt key, an unknown setting or a setting that is not a boolean is refused, naming it', () => {
    const configs = { default: { blockSizes: [1, 1] } };
    const register = (spec: object): unknown => createRegistry().register('k', spec as Parameters<ReturnType<typeof createRegistry>['register']>[1]);
    expect(() => register({ template: elementwiseAdd, configs, setting: { fusion: false } })).toThrow("[registry.settings.2] k: a registration has no key 'setting'. hint: the keys are template, configs, configPicker, settings");
    expect(() => register({ template: elementwiseAdd, configs, settings: { fusoin: false } })).toThrow("[registry.settings.2] k: 'settings' has no key 'fusoin'. hint: the keys are fusion, staticShapes");
    expect(() => register({ template: elementwiseAdd, configs, settings: { fusion: 'no' } })).toThrow('[registry.settings.2] k: settings.fusion must be true or false, got "no"');
  });

  test('[trace.inputs.1] a traced function taking more tensors than inputs are declared is refused, naming the inputs', () => {
    expect(() => trace((x: Tensor, y: Tensor) => x.add(y), { x: [2] })).toThrow('[trace.inputs.1] the traced function takes 2 tensor(s), but 1 input(s) are declared (x). hint: declare one input per parameter');
    expect(() => trace((...xs: Tensor[]) => xs[0] as Tensor, { x: [2] })).not.toThrow();
  });

  test('[registry.settings.1] settings default to fusion on and static shapes, and are recorded on each call', () => {
    const registry = createRegistry();
    const plain = registry.register('plain', { template: elementwiseAdd, configs: { default: { blockSizes: [1, 1] } } });
    const off = registry.register('off', { template: elementwiseAdd, configs: { default: { blockSizes: [1, 1] } }, settings: { fusion: false } });
    expect(registry.get('plain').settings).toEqual({ fusion: true, staticShapes: true });
    const g = trace((x: Tensor, y: Tensor) => off(plain(x, y), y), { x: [2], y: [2] });
    expect(g.nodes.filter((n) => n.kind === 'call').map((n) => (n.kind === 'call' ? n.settings.fusion : undefined))).toEqual([true, false]);
  });

  test('[registry.template.1] a user template reads only through load hooks and writes only through store_out', () => {
    // A template written against the hooks alone: out = a - b, one element per invocation.
    const sub: KernelTemplate = {
      ...elementwiseAdd,
      id: 'elementwise_sub',
      argNames: ['a', 'b'],
      blockRank: 1,
      evaluate: (args, _s, _o, i) => (args[0]?.[i] ?? NaN) - (args[1]?.[i] ?? NaN),
      emit: (ctx) => ({
        workgroupSize: [ctx.config.blockSizes[0] ?? 1, 1, 1],
        tiles: Math.ceil(ctx.outShape.reduce((p, d) => p * d, 1) / (ctx.config.blockSizes[0] ?? 1)),
        body: `let i = tile * ${ctx.config.blockSizes[0]}u + lid.x;\nif (i >= ${ctx.outShape.reduce((p, d) => p * d, 1)}u) { return; } // bounds guard\n${ctx.storeHook}(i, ${ctx.loadHooks[0]}(i) - ${ctx.loadHooks[1]}(i));`,
      }),
    };
    const registry = createRegistry();
    const k = registry.register('sub', { template: sub, configs: { default: { blockSizes: [32] } } });
    const g = trace((a: Tensor, b: Tensor) => k(a.exp(), b).abs(), { a: [50], b: [50] });
    const [kernel, ...rest] = generateProgram(lowerGraph(g, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS);
    expect(rest).toHaveLength(0);
    expect(kernel?.wgsl).toMatch(/fn load_a\(i: u32\) -> f32 \{[^}]*exp\(/);
    expect(kernel?.wgsl).toMatch(/fn store_out\(i: u32, acc: f32\) \{[^}]*abs\(acc\)/);
    expect(kernel?.wgsl).toContain('store_out(i, load_a(i) - load_b(i));');
    const x = Float32Array.from({ length: 50 }, (_, i) => i / 50);
    expect(interpret(g, [x, x], registry.templates)[0]?.[3]).toBe(Math.fround(Math.abs(Math.fround(Math.exp(x[3] ?? 0)) - (x[3] ?? 0))));
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

  test('[ir.dtype.1] f32 and f16 are the dtypes; any other is rejected, naming them', () => {
    const retyped = (dtype: string): Graph => ({ ...base, nodes: [{ ...base.nodes[0], dtype }, { ...base.nodes[1], dtype }] as unknown as Graph['nodes'] });
    expect(() => verifyGraph(retyped('f16'))).not.toThrow();
    expect(() => verifyGraph(retyped('bf16'))).toThrow(/\[ir\.dtype\.1\] %0: dtype bf16 is not supported. hint: the dtypes are f32, f16/);
  });

  test('[ir.dtype.2] an op reads operands of one dtype and keeps it; a cast changes it; anything else is rejected', () => {
    expect(() => verifyGraph(withNode({ ...base.nodes[1], dtype: 'f16' }))).toThrow(/\[ir\.dtype\.2\] %1: relu of f32 operands has dtype f32, not f16/);
    expect(() => verifyGraph(withNode({ ...base.nodes[1], op: 'cast_f16', dtype: 'f16' }))).not.toThrow();
    expect(() => verifyGraph(withNode({ ...base.nodes[1], op: 'cast_f16', dtype: 'f32' }))).toThrow(/\[ir\.dtype\.2\] %1: cast_f16 of f32 operands has dtype f16, not f32/);
    const mixed = trace.bind(undefined, (x: Tensor, y: Tensor) => x.add(y), { x: { shape: [2], dtype: 'f16' }, y: [2] });
    expect(mixed).toThrow(/\[ir\.dtype\.2\] add\(%0, %1\): operands have dtypes f16 and f32. hint: cast one explicitly/);
    const g = trace((x: Tensor, y: Tensor) => x.add(y.half()).mul(3).float(), { x: { shape: [2], dtype: 'f16' }, y: [2] });
    expect(printGraph(g)).toBe(
      ['%0 = input x: f16[2]', '%1 = input y: f32[2]', '%2 = cast_f16(%1): f16[2]', '%3 = add(%0, %2): f16[2]', '%4 = const 3: f16[]', '%5 = mul(%3, %4): f16[2]', '%6 = cast_f32(%5): f32[2]', 'return %6'].join('\n'),
    );
  });

  test('[ir.const.1] a constant of an f16 tensor is rounded to f16 when it is recorded', () => {
    const g = trace((x: Tensor) => x.mul(0.1), { x: { shape: [2], dtype: 'f16' } });
    expect(g.nodes[1]).toMatchObject({ kind: 'const', dtype: 'f16', value: 0.0999755859375 });
    expect(() => trace((x: Tensor) => x.mul(1e6), { x: { shape: [2], dtype: 'f16' } })).toThrow(/\[ir\.const\.1\] constant 1000000 overflows f16/);
  });
});

describe('the registry\'s dtypes', () => {
  test('[registry.call.2] a kernel takes tensors of one dtype it accepts, and its output has that dtype', () => {
    const { add } = seedRegistry();
    const g = trace((x: Tensor, y: Tensor) => add(x, y), { x: { shape: [4], dtype: 'f16' }, y: { shape: [4], dtype: 'f16' } });
    expect(g.nodes[2]).toMatchObject({ kind: 'call', dtype: 'f16' });
    expect(() => trace((x: Tensor, y: Tensor) => add(x, y), { x: { shape: [4], dtype: 'f16' }, y: [4] })).toThrow(
      /\[registry\.call\.2\] add\(%0, %1\): argument 1 has dtype f32, argument 0 f16; add takes tensors of one dtype. hint: cast explicitly/,
    );
    const registry = createRegistry();
    const mm = registry.register('mm', { template: TEMPLATES.get('matmul') as KernelTemplate, configs: { default: { blockSizes: [8, 8, 4] } } });
    expect(() => trace((a: Tensor, b: Tensor) => mm(a, b), { a: { shape: [4, 4], dtype: 'f16' }, b: { shape: [4, 4], dtype: 'f16' } })).toThrow(
      /\[registry\.call\.2\] mm\(%0, %1\): argument 0 has dtype f16; mm takes f32/,
    );
  });

  test('[registry.call.2] a call node whose dtype is not its arguments\' is rejected by the verifier', () => {
    const { add } = seedRegistry();
    const g = trace((x: Tensor, y: Tensor) => add(x, y), { x: [4], y: [4] });
    const bad = { ...g, nodes: g.nodes.map((n) => (n.kind === 'call' ? { ...n, dtype: 'f16' as const } : n)) };
    expect(() => verifyGraph(bad)).toThrow(/\[registry\.call\.2\] %2 = call add\(%0, %1\): has dtype f16, but elementwise_add of f32 arguments produces f32/);
  });

  test('[codegen.f16.1] f16 buffers are array<f16> under enable f16;, loads widen to f32 and stores round; without shader-f16 it is an error naming the feature', () => {
    const { registry, add } = seedRegistry();
    const g = trace((x: Tensor, y: Tensor) => add(x.mul(2), y).relu().float(), { x: { shape: [4, 4], dtype: 'f16' }, y: { shape: [4, 4], dtype: 'f16' } });
    const schedule = lowerGraph(g, registry.templates);
    const [k] = generateProgram(schedule, registry.templates, COMPAT_DEFAULT_LIMITS, { f16: true });
    expect(k?.wgsl.startsWith('enable f16;\n')).toBe(true);
    expect(k?.wgsl).toContain('var<storage, read> src_x_0: array<f16>;');
    expect(k?.wgsl).toContain('var<storage, read_write> dst: array<f32>;');
    expect(k?.wgsl).toContain('let l0 = f32(src_x_0[i]);');
    const narrow = trace((x: Tensor) => x.float().exp().half(), { x: { shape: [4], dtype: 'f16' } });
    const [n] = generateProgram(lowerGraph(narrow, registry.templates), registry.templates, COMPAT_DEFAULT_LIMITS, { f16: true });
    expect(n?.wgsl).toMatch(/let v3 = f32\(f16\(v2\)\); \/\/ %3 cast_f16\n\s*dst\[i\] = f16\(v3\);/);
    expect(() => generateProgram(schedule, registry.templates, COMPAT_DEFAULT_LIMITS)).toThrow(/\[codegen\.f16\.1\] kernel k0 .* has f16 tensors, and the device was not created with the 'shader-f16' feature/);
  });

  test('[ir.eval.1] the interpreter rounds every f16 node to f16 (nearest even), and an f16 input must hold f16 values', () => {
    const g = trace((x: Tensor) => x.mul(3), { x: { shape: [2], dtype: 'f16' } });
    // f16(0.1) · 3 = 1228.5 · 2^-12 exactly: a tie, rounded to the even 1228 · 2^-12.
    const [out] = interpret(g, [Float32Array.from([0.0999755859375, 1])]);
    expect([...(out ?? [])]).toEqual([1228 * 2 ** -12, 3]);
    expect(() => interpret(g, [Float32Array.from([0.1, 1])])).toThrow(/\[interface\.inputs\.1\] input 0 \(%0\) is f16, but element 0 \(0\.10000000149011612\) is not an f16 value/);
  });
});

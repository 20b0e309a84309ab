import { describe, expect, test } from 'vitest';
import { GraphBuilder, interpret, verifyGraph } from '../index.js';
import type { Graph } from '../index.js';

// The IR's legal forms and the interpreter's semantics, on hand-built graphs (CPU only).

describe('ir', () => {
  test('[ir.graph.2] every input node is listed once in graph.inputs, and only input nodes are', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2]);
    const g = b.build([b.op('neg', [x])]);
    expect(() => verifyGraph({ ...g, inputs: [] })).toThrow(/\[ir\.graph\.2\] %0: input node missing from graph\.inputs/);
    expect(() => verifyGraph({ ...g, inputs: [0, 1] })).toThrow(/\[ir\.graph\.2\] graph: inputs lists %1, which is not an input node/);
  });

  test('[ir.node.kind] a node of an unknown kind is rejected by name', () => {
    const g: Graph = { nodes: [{ kind: 'input', id: 0, name: 'x', dtype: 'f32', shape: [1] }, { kind: 'view', id: 1, dtype: 'f32', shape: [1] } as unknown as Graph['nodes'][number]], inputs: [0], outputs: [1] };
    expect(() => verifyGraph(g)).toThrow(/\[ir\.node\.kind\] %1: unknown node kind 'view'/);
  });

  test('[ir.const.1] constants are finite, 0-d, and rounded to f32 when recorded', () => {
    const b = new GraphBuilder();
    const c = b.constant(0.1);
    expect(b.node(c)).toMatchObject({ kind: 'const', value: Math.fround(0.1), shape: [] });
    expect(() => b.constant(Number.POSITIVE_INFINITY)).toThrow(/\[ir\.const\.1\] constant Infinity is not finite/);
    const g: Graph = { nodes: [{ kind: 'input', id: 0, name: 'x', dtype: 'f32', shape: [2] }, { kind: 'const', id: 1, value: 1, dtype: 'f32', shape: [2] }, { kind: 'op', id: 2, op: 'add', args: [0, 1], dtype: 'f32', shape: [2] }], inputs: [0], outputs: [2] };
    expect(() => verifyGraph(g)).toThrow(/\[ir\.const\.1\] %1: a constant must be 0-d, got \[2\]/);
  });

  test('[ir.broadcast.2] a broadcast operand is read at the same coordinates with broadcast dimensions at 0', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 3]);
    const row = b.input('row', [3]);
    const col = b.input('col', [2, 1]);
    const g = b.build([b.op('add', [b.op('add', [x, row]), col])]);
    const [out] = interpret(g, [new Float32Array([0, 0, 0, 0, 0, 0]), new Float32Array([1, 2, 3]), new Float32Array([10, 20])]);
    expect([...(out ?? [])]).toEqual([11, 12, 13, 21, 22, 23]);
  });

  test('[ir.transpose.1] transpose swaps the last two dimensions, needs rank 2, and is exact', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 2, 3]);
    const t = b.transpose(x);
    expect(b.node(t).shape).toEqual([2, 3, 2]);
    const g = b.build([t]);
    const data = Float32Array.from({ length: 12 }, (_, i) => i);
    expect([...(interpret(g, [data])[0] ?? [])]).toEqual([0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]);
    const r1 = new GraphBuilder();
    expect(() => r1.transpose(r1.input('v', [4]))).toThrow(/\[ir\.transpose\.1\] transpose\(%0\): needs rank 2 or more, got \[4\]/);
    expect(() => verifyGraph({ ...g, nodes: [g.nodes[0], { ...g.nodes[1], shape: [2, 2, 3] }] as Graph['nodes'] })).toThrow(/\[ir\.transpose\.1\] %1: shape \[2,2,3\] is not the transpose of \[2,2,3\]/);
  });

  test('[ir.eval.1] every op is rounded to f32 before the next reads it', () => {
    // In f64, (1 + 2^-24) - 1 = 2^-24; rounded to f32 after the add it is 1, so the result is 0.
    const b = new GraphBuilder();
    const x = b.input('x', [1]);
    const g = b.build([b.op('sub', [b.op('add', [x, b.constant(2 ** -24)]), b.constant(1)])]);
    expect(interpret(g, [new Float32Array([1])])[0]?.[0]).toBe(0);
    // And each op is computed in f64 from f32 operands: exp(1) is the f32 nearest e.
    const h = new GraphBuilder();
    const y = h.input('y', [1]);
    expect(interpret(h.build([h.op('exp', [y])]), [new Float32Array([1])])[0]?.[0]).toBe(Math.fround(Math.E));
  });
});

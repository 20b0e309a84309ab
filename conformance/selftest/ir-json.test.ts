import fc from 'fast-check';
import { F16_SEED_CASE, f16FusionCaseArbitrary, f16ReductionCaseArbitrary } from '../generators/f16-case.js';
import { describe, expect, test } from 'vitest';
import { GraphBuilder } from '../../spec/ir/builder.js';
import { WgfuseError } from '../../spec/ir/errors.js';
import { OP_NAMES } from '../../spec/ir/ops.js';
import { DTYPES } from '../../spec/ir/types.js';
import type { BuiltCase } from '../generators/built-case.js';
import { buildFusionCase, buildPointwiseCase, fusionCaseArbitrary, pointwiseCaseArbitrary, SEED_CASE } from '../generators/fusion-case.js';
import { buildMatmulCase, matmulCaseArbitrary } from '../generators/matmul-case.js';
import { buildReductionCase, reductionCaseArbitrary } from '../generators/reduction-case.js';
import { createIrAjv, loadIrSchema, readIrJson } from '../ir-json/read.js';
import { caseToJson, graphToJson, stringify } from '../ir-json/write.js';

// The IR interchange format (spec/ir.md, "Interchange format"): lossless round trips of every graph the
// generators make, and one refusal per kind of malformed document, each naming node and field.

const envSeed = process.env['WGFUSE_SEED'];
const seed = envSeed === undefined || envSeed === '' ? undefined : Number.parseInt(envSeed, 10);
const params = (numRuns: number): fc.Parameters<unknown> => (seed === undefined ? { numRuns } : { numRuns, seed });
const RUNS = 50;

/** The bits, so -0 against 0 and NaN payloads count; toEqual on typed arrays compares values only. */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const withCounts = (b: BuiltCase) => ({ ...b, fusedKernels: 1, eagerKernels: b.opCount + b.callCount });

/** Writes the case, reads it back and checks every part came back equal, data bit for bit. */
function roundTrips(b: BuiltCase): void {
  const text = stringify(caseToJson(withCounts(b)));
  const back = readIrJson(text, 'case.json');
  expect(back.graph).toEqual(b.graph);
  expect(back.kernels).toEqual(b.kernels);
  expect(back.case?.description).toBe(b.description);
  expect(back.case?.fusedKernels).toBe(1);
  expect(back.case?.eagerKernels).toBe(b.opCount + b.callCount);
  expect(back.case?.inputs.map(bits)).toEqual(b.inputs.map(bits));
  if (back.case === undefined) throw new Error('the case part was lost');
  // Writing what was read gives the same text: the format has one spelling of each graph.
  expect(stringify(caseToJson({ ...back.case, graph: back.graph, kernels: back.kernels }))).toBe(text);
  const graphOnly = readIrJson(stringify(graphToJson(b.graph, b.kernels)), 'graph.json');
  expect(graphOnly.graph).toEqual(b.graph);
  expect(graphOnly.case).toBeUndefined();
}

describe('IR documents round-trip', () => {
  test('[ir.json.2] every generated fusion case round-trips losslessly', () => {
    fc.assert(fc.property(fusionCaseArbitrary(), (c) => roundTrips(buildFusionCase(c))), params(RUNS));
  });
  test('[ir.json.2] every generated pointwise case round-trips losslessly', () => {
    fc.assert(fc.property(pointwiseCaseArbitrary(), (c) => roundTrips(buildPointwiseCase(c))), params(RUNS));
  });
  test('[ir.json.2] every generated matmul case round-trips losslessly', () => {
    fc.assert(fc.property(matmulCaseArbitrary(), (c) => roundTrips(buildMatmulCase(c))), params(RUNS));
  });
  test('[ir.json.2] every generated reduction case round-trips losslessly', () => {
    fc.assert(fc.property(reductionCaseArbitrary(), (c) => roundTrips(buildReductionCase(c))), params(RUNS));
  });

  test('[ir.json.2] every generated mixed-precision case (f16 tensors, casts) round-trips losslessly', () => {
    fc.assert(fc.property(f16FusionCaseArbitrary(), f16ReductionCaseArbitrary(), (a, b) => {
      roundTrips(buildFusionCase(a));
      roundTrips(buildReductionCase(b));
    }), params(RUNS));
  });

  test('[ir.json.1] f16 case data that is not an f16 value is refused, naming the input and element', () => {
    const b = buildFusionCase(F16_SEED_CASE);
    const doc = caseToJson({ ...withCounts(b), inputs: [Float32Array.of(0.1, ...(b.inputs[0] ?? []).slice(1)), ...b.inputs.slice(1)] });
    expect(() => readIrJson(stringify(doc), 'f16.json')).toThrow(/^\[ir\.json\.1\] f16\.json: case\.inputs\[0\]\[0\]: 0\.1\d* is not an f16 value, and input 0 is f16/);
  });

  test('[ir.json.2] -0 survives in constants and data, which JSON.stringify would write as 0', () => {
    const b = buildFusionCase(SEED_CASE);
    const nodes = b.graph.nodes.map((n) => (n.kind === 'const' && n.id === 2 ? { ...n, value: -0 } : n));
    const inputs = [Float32Array.of(-0, ...(b.inputs[0] ?? []).slice(1)), ...b.inputs.slice(1)];
    const text = stringify(caseToJson({ ...withCounts(b), graph: { ...b.graph, nodes }, inputs }));
    const back = readIrJson(text, 'zero.json');
    const c = back.graph.nodes[2];
    expect(c?.kind === 'const' && Object.is(c.value, -0)).toBe(true);
    expect(back.case?.inputs.map(bits)).toEqual(inputs.map(bits));
  });

  test('[ir.json.2] a transpose, which no generator makes, round-trips too', () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3]);
    const graph = g.build([g.op('neg', [g.transpose(x)])]);
    const back = readIrJson(stringify(graphToJson(graph, new Map())), 'transpose.json');
    expect(back.graph).toEqual(graph);
    expect(back.kernels.size).toBe(0);
  });

  test('[ir.json.2] what is read is deeply frozen', () => {
    const back = readIrJson(stringify(caseToJson(withCounts(buildFusionCase(SEED_CASE)))), 'seed.json');
    expect(Object.isFrozen(back) && Object.isFrozen(back.graph.nodes) && Object.isFrozen(back.graph.nodes[6])).toBe(true);
    const call = back.graph.nodes[6];
    expect(call?.kind === 'call' && Object.isFrozen(call.config.blockSizes) && Object.isFrozen(call.settings)).toBe(true);
    expect(Object.isFrozen(back.kernels.get('add')?.configs['default']?.blockSizes)).toBe(true);
    expect(() => (back.kernels as unknown as Map<string, unknown>).clear()).toThrow(TypeError);
    expect(Object.isFrozen(back.case?.inputs)).toBe(true);
  });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The seed case as mutable JSON: x %0, y %1, 2 %2, mul %3, 1 %4, add %5, call add %6, relu %7. */
function seedDoc(): JsonObject {
  return JSON.parse(stringify(caseToJson(withCounts(buildFusionCase(SEED_CASE))))) as JsonObject;
}

/** A hand-written document: x [2,3], y [4], and %2 = add(%0, %1), which does not broadcast. */
const TINY = `{"format":"wgfuse-ir","version":1,"kernels":{},"graph":{"inputs":[0,1],"outputs":[2],"nodes":[
  {"kind":"input","id":0,"name":"x","dtype":"f32","shape":[2,3]},
  {"kind":"input","id":1,"name":"y","dtype":"f32","shape":[4]},
  {"kind":"op","id":2,"op":"add","args":[0,1],"dtype":"f32","shape":[2,3]}]}}`;

const nodesOf = (doc: JsonObject): JsonObject[] => (doc['graph'] as JsonObject)['nodes'] as JsonObject[];
const node = (doc: JsonObject, i: number): JsonObject => nodesOf(doc)[i] as JsonObject;

/** The seed document after `edit`, as text. */
function edited(edit: (doc: JsonObject) => void): string {
  const doc = seedDoc();
  edit(doc);
  return JSON.stringify(doc);
}

/** The error reading `text` raises; fails the test if the document is accepted. */
function refusal(text: string): WgfuseError {
  try {
    readIrJson(text, 'bad.json');
  } catch (e) {
    if (e instanceof WgfuseError) return e;
    throw e;
  }
  throw new Error('the document was accepted');
}

describe('malformed IR documents are refused, naming node and field', () => {
  test('[ir.json.1] spec/ir.schema.json compiles under Ajv strict mode, and its op and dtype enums are the spec\'s', () => {
    const schema = loadIrSchema();
    expect(() => createIrAjv().compile(schema)).not.toThrow();
    const defs = schema['$defs'] as Record<string, { enum?: unknown[] }>;
    expect(defs['opName']?.enum).toEqual(OP_NAMES);
    expect(defs['dtype']?.enum).toEqual([...DTYPES]);
  });

  test('[ir.json.1] an unknown op', () => {
    const e = refusal(edited((d) => (node(d, 7)['op'] = 'gelu')));
    expect(e.rule).toBe('ir.json.1');
    expect(e.message).toBe(`[ir.json.1] bad.json: graph.nodes[7].op: must be one of ${OP_NAMES.join(', ')} (got 'gelu')`);
  });

  test('[ir.json.1] wrong arity is refused under the verifier\'s own rule', () => {
    const e = refusal(edited((d) => (node(d, 7)['args'] = [6, 6])));
    expect(e.message).toBe('[ir.op.arity] bad.json: graph.nodes[7].args: relu takes 1 operand(s), got 2');
  });

  test('[ir.json.1] operand shapes that do not broadcast', () => {
    const e = refusal(TINY);
    expect(e.rule).toBe('ir.broadcast.1');
    expect(e.message).toMatch(/^\[ir\.broadcast\.1\] bad\.json: graph\.nodes\[2\]\.args: add\(%0, %1\): shapes \[2,3\] and \[4\] do not broadcast/);
  });

  test('[ir.json.1] a missing field', () => {
    const e = refusal(edited((d) => delete node(d, 2)['shape']));
    expect(e.message).toBe("[ir.json.1] bad.json: graph.nodes[2]: missing field 'shape'");
  });

  test('[ir.json.1] a field of the wrong type', () => {
    expect(refusal(edited((d) => (node(d, 0)['shape'] = '4x4'))).message).toBe("[ir.json.1] bad.json: graph.nodes[0].shape: must be an array (got string '4x4')");
    expect(refusal(edited((d) => (node(d, 2)['value'] = '2'))).message).toBe("[ir.json.1] bad.json: graph.nodes[2].value: must be a number (got string '2')");
  });

  test('[ir.json.1] an unknown node kind', () => {
    const e = refusal(edited((d) => (node(d, 5)['kind'] = 'reshape')));
    expect(e.message).toBe("[ir.json.1] bad.json: graph.nodes[5].kind: must be one of input, const, op, call, transpose (got 'reshape')");
  });

  test('[ir.json.1] a field another kind has', () => {
    const e = refusal(edited((d) => (node(d, 0)['op'] = 'neg')));
    expect(e.message).toBe("[ir.json.1] bad.json: graph.nodes[0]: unknown field 'op' (allowed: kind, id, name, dtype, shape)");
  });

  test('[ir.json.1] unknown kernel semantics are refused under the verifier\'s own rule', () => {
    const e = refusal(
      edited((d) => {
        node(d, 6)['semantics'] = 'gelu_fused';
        ((d['kernels'] as JsonObject)['add'] as JsonObject)['semantics'] = 'gelu_fused';
      }),
    );
    expect(e.rule).toBe('ir.call.1');
    expect(e.message).toMatch(/^\[ir\.call\.1\] bad\.json: graph\.nodes\[6\]\.semantics: %6 = call add\(%3, %5\): no kernel semantics 'gelu_fused'/);
  });

  test('[ir.json.1] a call naming a kernel missing from kernels', () => {
    const e = refusal(edited((d) => (node(d, 6)['kernel'] = 'mm')));
    expect(e.message).toBe("[ir.json.1] bad.json: graph.nodes[6].kernel: no kernel 'mm' in kernels (it has: add)");
  });

  test('[ir.json.1] a call that disagrees with its catalog entry', () => {
    const catalog = (d: JsonObject): JsonObject => (d['kernels'] as JsonObject)['add'] as JsonObject;
    expect(refusal(edited((d) => (catalog(d)['semantics'] = 'matmul'))).message).toBe(
      "[ir.json.1] bad.json: graph.nodes[6].semantics: 'elementwise_add', but kernels.add.semantics is 'matmul'",
    );
    expect(refusal(edited((d) => (node(d, 6)['configKey'] = 'big'))).message).toBe(
      "[ir.json.1] bad.json: graph.nodes[6].configKey: 'big' is not a config of kernels.add (it has: default)",
    );
    expect(refusal(edited((d) => (node(d, 6)['config'] = { blockSizes: [8, 8] }))).message).toBe(
      '[ir.json.1] bad.json: graph.nodes[6].config.blockSizes: [8,8], but kernels.add.configs.default has [4,4]',
    );
  });

  test('[ir.json.1] invalid JSON text', () => {
    const text = stringify(caseToJson(withCounts(buildFusionCase(SEED_CASE)))).replace('"op":"mul",', '"op":"mul"');
    const e = refusal(text);
    expect(e.rule).toBe('ir.json.1');
    // The line is the node's: documents are written one node per line.
    expect(e.message).toMatch(/^\[ir\.json\.1\] bad\.json: not JSON: .*(line 9|9:)/);
    expect(refusal('{"format": "wgfuse-ir"').message).toMatch(/^\[ir\.json\.1\] bad\.json: not JSON: /);
  });

  test('[ir.json.1] the wrong format or version, and case data that does not fit the inputs', () => {
    expect(refusal(edited((d) => (d['version'] = 2))).message).toBe('[ir.json.1] bad.json: version: must be 1 (got 2)');
    const short = refusal(edited((d) => (((d['case'] as JsonObject)['inputs'] as Json[])[1] = [1, 2, 3])));
    expect(short.message).toBe("[ir.json.1] bad.json: case.inputs[1]: 3 value(s), but it feeds graph.nodes[1] (input 'y') of shape [4,4], 16 value(s)");
    const big = refusal(edited((d) => ((((d['case'] as JsonObject)['inputs'] as Json[])[0] as Json[])[5] = 1e39)));
    expect(big.message).toBe('[ir.json.1] bad.json: case.inputs[0][5]: 1e+39 is outside the f32 range (it rounds to Infinity)');
    const repeated = refusal(edited((d) => ((d['graph'] as JsonObject)['inputs'] = [0, 1, 0])));
    expect(repeated.message).toBe("[ir.json.1] bad.json: graph.inputs: must not repeat a value: items 0 and 2 are both 0");
  });

  // The verifier names nodes as %id; the reader maps each rule it relies on back to the field.
  const graphOf = (d: JsonObject): JsonObject => d['graph'] as JsonObject;
  const verifierCases: readonly (readonly [rule: string, path: string, edit: (d: JsonObject) => void])[] = [
    ['ir.graph.1', 'graph.nodes[3].id', (d) => void (node(d, 3)['id'] = 9)],
    ['ir.graph.1', 'graph.nodes[3].args', (d) => void (node(d, 3)['args'] = [0, 5])],
    ['ir.const.1', 'graph.nodes[2].shape', (d) => void (node(d, 2)['shape'] = [1])],
    ['ir.const.1', 'graph.nodes[2].value', (d) => void (node(d, 2)['value'] = 1e39)],
    ['ir.broadcast.1', 'graph.nodes[3].shape', (d) => void (node(d, 3)['shape'] = [4])],
    ['registry.call.shape', 'graph.nodes[6].shape', (d) => void (node(d, 6)['shape'] = [2, 8])],
    ['registry.call.shape', 'graph.nodes[6].args', (d) => void (node(d, 1)['shape'] = node(d, 5)['shape'] = [4])],
    ['registry.call.4', 'graph.nodes[6].args', (d) => void (node(d, 6)['args'] = [3, 4])],
    ['registry.config.1', 'graph.nodes[6].config.blockSizes', (d) => void (node(d, 6)['config'] = { blockSizes: [4] })],
    ['ir.graph.2', 'graph.nodes[1]', (d) => void (graphOf(d)['inputs'] = [0])],
    ['ir.graph.3', 'graph.outputs[1]', (d) => void (graphOf(d)['outputs'] = [7, 4])],
    ['ir.graph.3', 'graph.outputs[0]', (d) => void (graphOf(d)['outputs'] = [12])],
  ];
  test.each(verifierCases)("[ir.json.1] the verifier's %s is reported at %s", (rule, path, edit) => {
    const e = refusal(edited(edit));
    const prefix = `[${rule}] bad.json: ${path}: `;
    expect(e.message.slice(0, prefix.length)).toBe(prefix);
  });
});

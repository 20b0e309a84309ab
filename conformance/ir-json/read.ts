/**
 * Reads a wgfuse IR document (spec/ir.md, "Interchange format"). The schema holds the form and the
 * spec's own verifier holds the meaning, so a document is held to exactly the rules a traced graph is;
 * this file only adds what neither can see: that calls agree with the catalog, and that case data fits
 * the graph's inputs. Every refusal is a WgfuseError naming the origin, the node and the field.
 */
import { isF16, roundTo } from '../../spec/f16.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { SchemaObject, ValidateFunction } from 'ajv/dist/2020.js';
import { formatShape } from '../../spec/ir/broadcast.js';
import { WgfuseError } from '../../spec/ir/errors.js';
import { numel } from '../../spec/ir/types.js';
import type { Graph, KernelConfig, Node } from '../../spec/ir/types.js';
import { verifyGraph } from '../../spec/ir/verify.js';
import { SPEC_KERNELS } from '../../spec/kernels/index.js';
import type { SemanticsTable } from '../../spec/kernels/semantics.js';
import type { KernelCatalog, RegisteredKernel } from '../../spec/implementation.js';
import type { CaseData, CaseJson, IrDocument, KernelEntryJson } from './document.js';
import { schemaMessage, show, verifierMessage } from './messages.js';
import { nodeToJson } from './write.js';

/** Where the schema lives: spec/, beside the prose it formalizes, so both change in one commit. */
export const IR_SCHEMA_PATH = fileURLToPath(new URL('../../spec/ir.schema.json', import.meta.url));

export function loadIrSchema(): SchemaObject {
  return JSON.parse(readFileSync(IR_SCHEMA_PATH, 'utf8')) as SchemaObject;
}

/**
 * A fresh Ajv for the schema. strict, so a misspelt keyword in the schema is an error rather than a
 * constraint silently not checked; verbose, so each error carries the value it rejects for messages.
 */
export function createIrAjv(): Ajv2020 {
  return new Ajv2020({ strict: true, verbose: true });
}

let compiled: ValidateFunction | undefined;

/** Compiled on first use and kept: compiling generates code and costs far more than validating. */
function validator(): ValidateFunction {
  compiled ??= createIrAjv().compile(loadIrSchema());
  return compiled;
}

/** A document once read: deeply frozen, `{ graph, kernels, ...case }` is a case the suite can judge. */
export interface ReadIr {
  readonly graph: Graph;
  readonly kernels: KernelCatalog;
  readonly case?: CaseData;
}

function fail(rule: string, origin: string, message: string): never {
  throw new WgfuseError(rule, `${origin}: ${message}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * A Map cannot be frozen by Object.freeze (its entries live outside its properties), so its mutators
 * are replaced by ones that throw: a catalog read from a file stays what the file said.
 */
function frozenMap<K, V>(entries: Iterable<readonly [K, V]>): ReadonlyMap<K, V> {
  const map = new Map(entries);
  const refuse = (): never => {
    throw new TypeError('a kernel catalog read from a document is frozen');
  };
  for (const name of ['set', 'delete', 'clear']) Object.defineProperty(map, name, { value: refuse });
  return Object.freeze(map);
}

/** The node as the builder would record it: its kind's fields only, a constant rounded to f32 ([ir.const.1]). */
function readNode(n: Node, index: number, origin: string): Node {
  const node = nodeToJson(n);
  if (node.kind !== 'const') return node;
  const value = roundTo(node.dtype, node.value);
  if (!Number.isFinite(value)) fail('ir.const.1', origin, `graph.nodes[${index}].value: ${node.value} is outside the ${node.dtype} range (it rounds to ${value})`);
  return { ...node, value };
}

/**
 * Every call against the catalog entry it names. A call carries its semantics, config and settings
 * itself so an implementation need not look them up; a document where the two copies disagree has no
 * one meaning, so it is refused rather than one copy preferred.
 */
function checkCalls(graph: Graph, kernels: Readonly<Record<string, KernelEntryJson>>, origin: string): void {
  graph.nodes.forEach((n, i) => {
    if (n.kind !== 'call') return;
    const at = (field: string, what: string): never => fail('ir.json.1', origin, `graph.nodes[${i}].${field}: ${what}`);
    if (!Object.hasOwn(kernels, n.kernel)) at('kernel', `no kernel '${n.kernel}' in kernels (it has: ${Object.keys(kernels).join(', ') || 'none'})`);
    const k = kernels[n.kernel] as KernelEntryJson;
    const entry = `kernels.${n.kernel}`;
    if (k.semantics !== n.semantics) at('semantics', `'${n.semantics}', but ${entry}.semantics is '${k.semantics}'`);
    if (!Object.hasOwn(k.configs, n.configKey)) at('configKey', `'${n.configKey}' is not a config of ${entry} (it has: ${Object.keys(k.configs).join(', ')})`);
    const config = k.configs[n.configKey] as KernelConfig;
    const a = n.config.blockSizes;
    const b = config.blockSizes;
    if (a.length !== b.length || a.some((s, j) => s !== b[j])) at('config.blockSizes', `${show(a)}, but ${entry}.configs.${n.configKey} has ${show(b)}`);
    if (n.settings.fusion !== k.settings.fusion || n.settings.staticShapes !== k.settings.staticShapes) {
      at('settings', `${show(n.settings)}, but ${entry}.settings is ${show(k.settings)}`);
    }
  });
}

function readKernels(kernels: Readonly<Record<string, KernelEntryJson>>): KernelCatalog {
  const entries = Object.entries(kernels).map(([name, k]): [string, RegisteredKernel] => {
    const configs = Object.fromEntries(Object.entries(k.configs).map(([key, c]) => [key, { blockSizes: [...c.blockSizes] }]));
    return [name, deepFreeze({ name, semantics: k.semantics, configs, settings: { fusion: k.settings.fusion, staticShapes: k.settings.staticShapes } })];
  });
  return frozenMap(entries);
}

/**
 * The case's data as f32, checked against the graph's inputs: one array per input, each the size of
 * its input. The arrays are the caller's own copies; a Float32Array with elements cannot be frozen.
 */
function readCase(c: CaseJson, graph: Graph, origin: string): CaseData {
  if (c.inputs.length !== graph.inputs.length) {
    fail('ir.json.1', origin, `case.inputs: ${c.inputs.length} array(s) for the graph's ${graph.inputs.length} input(s)`);
  }
  const inputs = c.inputs.map((values, k) => {
    const id = graph.inputs[k] as number;
    const node = graph.nodes[id] as Node;
    const want = numel(node.shape);
    if (values.length !== want) {
      const name = node.kind === 'input' ? ` '${node.name}'` : '';
      const fed = `graph.nodes[${id}] (input${name}) of shape ${formatShape(node.shape)}`;
      fail('ir.json.1', origin, `case.inputs[${k}]: ${values.length} value(s), but it feeds ${fed}, ${want} value(s)`);
    }
    const data = Float32Array.from(values);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail('ir.json.1', origin, `case.inputs[${k}][${bad}]: ${values[bad]} is outside the f32 range (it rounds to ${data[bad]})`);
    // An f16 input's data are f16 values: written exactly, so one that is not was not written by a writer of f16 data.
    const off = graph.nodes[graph.inputs[k] as number]?.dtype === 'f16' ? data.findIndex((v) => !isF16(v)) : -1;
    if (off >= 0) fail('ir.json.1', origin, `case.inputs[${k}][${off}]: ${values[off]} is not an f16 value, and input ${k} is f16`);
    return data;
  });
  return Object.freeze({ description: c.description, fusedKernels: c.fusedKernels, eagerKernels: c.eagerKernels, inputs: Object.freeze(inputs) });
}

/**
 * JSON.parse's message, with the line and column of its position when it gives only an offset (Node
 * 20 does): documents are written one node per line, so the line says which node is broken.
 */
function parseMessage(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const at = /at position (\d+)/.exec(message);
  if (at === null || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(at[1])).split('\n');
  return `${message} (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}

/**
 * Reads a document: JSON, then the schema ([ir.json.1]), then verifyGraph with `semantics` (the
 * spec's kernels unless a caller registers more), then calls against the catalog, then the case data.
 * `origin` (a file name, usually) starts every message, as the file is what the reader must go fix.
 */
export function readIrJson(text: string, origin: string, semantics: SemanticsTable = SPEC_KERNELS): ReadIr {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    fail('ir.json.1', origin, `not JSON: ${parseMessage(text, e)}`);
  }
  const validate = validator();
  if (!validate(value)) fail('ir.json.1', origin, schemaMessage(validate.errors ?? [], value));
  const doc = value as IrDocument;
  const graph: Graph = deepFreeze({
    nodes: doc.graph.nodes.map((n, i) => readNode(n, i, origin)),
    inputs: [...doc.graph.inputs],
    outputs: [...doc.graph.outputs],
  });
  try {
    verifyGraph(graph, semantics);
  } catch (e) {
    if (e instanceof WgfuseError) fail(e.rule, origin, verifierMessage(graph, e));
    throw e;
  }
  checkCalls(graph, doc.kernels, origin);
  const kernels = readKernels(doc.kernels);
  return Object.freeze(doc.case === undefined ? { graph, kernels } : { graph, kernels, case: readCase(doc.case, graph, origin) });
}

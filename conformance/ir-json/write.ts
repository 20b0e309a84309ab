/**
 * Writes a graph, its kernel catalog and optionally a case's data as a wgfuse IR document
 * (spec/ir.md [ir.json.2]). The document object is built key by key in a fixed order, so two equal
 * graphs give byte-equal text whatever order their objects were built in, and diffs stay readable.
 */
import { WgfuseError } from '../../spec/ir/errors.js';
import type { Graph, KernelConfig, KernelSettings, Node } from '../../spec/ir/types.js';
import type { KernelCatalog } from '../../spec/implementation.js';
import { IR_FORMAT, IR_VERSION } from './document.js';
import type { CaseData, CaseJson, IrDocument, KernelEntryJson } from './document.js';

function configToJson(c: KernelConfig): KernelConfig {
  return { blockSizes: [...c.blockSizes] };
}

function settingsToJson(s: KernelSettings): KernelSettings {
  return { fusion: s.fusion, staticShapes: s.staticShapes };
}

/**
 * A copy of the node holding exactly its kind's fields, in the order spec/ir.schema.json lists them.
 * The reader copies through it too, so a stray field on an in-memory node is neither written nor kept.
 */
export function nodeToJson(n: Node): Node {
  switch (n.kind) {
    case 'input':
      return { kind: 'input', id: n.id, name: n.name, dtype: n.dtype, shape: [...n.shape] };
    case 'const':
      return { kind: 'const', id: n.id, value: n.value, dtype: n.dtype, shape: [...n.shape] };
    case 'op':
      return { kind: 'op', id: n.id, op: n.op, args: [...n.args], dtype: n.dtype, shape: [...n.shape] };
    case 'call':
      return {
        kind: 'call',
        id: n.id,
        kernel: n.kernel,
        semantics: n.semantics,
        configKey: n.configKey,
        config: configToJson(n.config),
        settings: settingsToJson(n.settings),
        args: [...n.args],
        dtype: n.dtype,
        shape: [...n.shape],
      };
    case 'transpose':
      return { kind: 'transpose', id: n.id, args: [...n.args], dtype: n.dtype, shape: [...n.shape] };
  }
}

/**
 * The catalog keyed by registered name. A kernel's name is its key and is not written twice, so a
 * catalog whose key and name disagree cannot be written faithfully and is refused here rather than
 * silently read back under the key. Object.fromEntries, not assignment: `__proto__` is an identifier
 * and so a legal kernel name, and assigning it would set the prototype instead of adding a key.
 */
function kernelsToJson(kernels: KernelCatalog): Record<string, KernelEntryJson> {
  const entries = [...kernels].map(([key, k]): [string, KernelEntryJson] => {
    if (k.name !== key) throw new WgfuseError('ir.json.1', `kernels: catalog key '${key}' holds a kernel named '${k.name}'`);
    const configs = Object.fromEntries(Object.entries(k.configs).map(([ck, c]) => [ck, configToJson(c)]));
    return [key, { semantics: k.semantics, configs, settings: settingsToJson(k.settings) }];
  });
  return Object.fromEntries(entries);
}

/** The document for a graph and the kernels its calls name (the catalog may hold more). */
export function graphToJson(graph: Graph, kernels: KernelCatalog): IrDocument {
  return {
    format: IR_FORMAT,
    version: IR_VERSION,
    graph: { nodes: graph.nodes.map(nodeToJson), inputs: [...graph.inputs], outputs: [...graph.outputs] },
    kernels: kernelsToJson(kernels),
  };
}

/** The document for a whole case: a failing case written this way replays anywhere, data included. */
export function caseToJson(c: CaseData & { readonly graph: Graph; readonly kernels: KernelCatalog }): IrDocument {
  const data: CaseJson = {
    description: c.description,
    fusedKernels: c.fusedKernels,
    eagerKernels: c.eagerKernels,
    inputs: c.inputs.map((a) => Array.from(a)),
  };
  return { ...graphToJson(c.graph, c.kernels), case: data };
}

/**
 * A JSON number that reads back as the same double. JSON.stringify writes -0 as 0, which would lose
 * the sign of a -0 constant or input; JSON's grammar allows `-0` and JSON.parse reads it back as -0.
 */
function numberText(v: number, path: string): string {
  if (!Number.isFinite(v)) throw new WgfuseError('ir.json.1', `${path}: ${v} cannot be written: JSON has no non-finite numbers`);
  return Object.is(v, -0) ? '-0' : JSON.stringify(v);
}

/** One-line JSON of plain data, keys in the object's own order. */
function compact(value: unknown, path: string): string {
  if (typeof value === 'number') return numberText(value, path);
  if (Array.isArray(value)) return `[${value.map((v: unknown, i) => compact(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${compact(v, `${path}.${k}`)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `open`, the items one per line at `indent`, `close`; an empty list stays on one line. */
function block(open: string, items: readonly string[], close: string, indent: string): string {
  return items.length === 0 ? `${open}${close}` : `${open}\n${items.map((s) => `${indent}${s}`).join(',\n')}\n${indent.slice(2)}${close}`;
}

/**
 * The document as text: one node, one kernel and one input array per line, so a diff of two
 * documents shows which node changed. Use this rather than JSON.stringify, which writes -0 as 0.
 */
export function stringify(doc: IrDocument): string {
  const g = doc.graph;
  const graph = block(
    '{',
    [
      `"nodes": ${block('[', g.nodes.map((n, i) => compact(n, `graph.nodes[${i}]`)), ']', '      ')}`,
      `"inputs": ${compact(g.inputs, 'graph.inputs')}`,
      `"outputs": ${compact(g.outputs, 'graph.outputs')}`,
    ],
    '}',
    '    ',
  );
  const kernels = block(
    '{',
    Object.entries(doc.kernels).map(([name, k]) => `${JSON.stringify(name)}: ${compact(k, `kernels.${name}`)}`),
    '}',
    '    ',
  );
  const top = [`"format": ${JSON.stringify(doc.format)}`, `"version": ${doc.version}`, `"graph": ${graph}`, `"kernels": ${kernels}`];
  const c = doc.case;
  if (c !== undefined) {
    const data = block('[', c.inputs.map((a, i) => compact(a, `case.inputs[${i}]`)), ']', '      ');
    const fields = [
      `"description": ${JSON.stringify(c.description)}`,
      `"fusedKernels": ${numberText(c.fusedKernels, 'case.fusedKernels')}`,
      `"eagerKernels": ${numberText(c.eagerKernels, 'case.eagerKernels')}`,
      `"inputs": ${data}`,
    ];
    top.push(`"case": ${block('{', fields, '}', '    ')}`);
  }
  return `${block('{', top, '}', '  ')}\n`;
}

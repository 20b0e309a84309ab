/**
 * Turns what went wrong in a document into `<path>: <what>` with a JSON path a person can find in the
 * file (`graph.nodes[3].op`). Ajv reports JSON pointers and its own wording; the verifier reports nodes
 * as `%3`, the IR's notation. Neither names the field in the file, which is what [ir.json.1] asks for.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { WgfuseError } from '../../spec/ir/errors.js';
import type { Graph } from '../../spec/ir/types.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_SHOWN = 60;

/** A JSON pointer as a path into `root`: array steps as `[i]`, object keys as `.key` or `["key"]`. */
export function jsonPath(pointer: string, root: unknown): string {
  if (pointer === '') return 'document';
  let path = '';
  let at: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      path += `[${key}]`;
      at = at[Number(key)];
    } else {
      path += IDENTIFIER.test(key) ? `${path === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
      at = typeof at === 'object' && at !== null ? (Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined) : undefined;
    }
  }
  return path;
}

/** A value as a message quotes it: strings in single quotes, long values cut short. */
export function show(v: unknown): string {
  const text = typeof v === 'string' ? `'${v}'` : v === undefined ? 'nothing' : Number.isNaN(v) || v === Infinity || v === -Infinity ? String(v) : JSON.stringify(v);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** What one Ajv error says, in words that name the offending value. */
function describe(e: ErrorObject): string {
  const p: Record<string, unknown> = e.params;
  const got = `(got ${show(e.data)})`;
  switch (e.keyword) {
    case 'required':
      return `missing field '${String(p['missingProperty'])}'`;
    case 'additionalProperties': {
      const props: unknown = e.parentSchema?.['properties'];
      const allowed = typeof props === 'object' && props !== null ? Object.keys(props) : [];
      return `unknown field '${String(p['additionalProperty'])}'${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`;
    }
    case 'enum':
      return `must be one of ${(p['allowedValues'] as readonly unknown[]).map(String).join(', ')} ${got}`;
    case 'const':
      return `must be ${show(p['allowedValue'])} ${got}`;
    case 'type': {
      const want = String(p['type']);
      if (typeof e.data === 'number') return `must be a finite ${want === 'integer' ? 'integer' : 'number'} ${got}`;
      return `must be ${article(want)} (got ${typeName(e.data)}${e.data === null ? '' : ` ${show(e.data)}`})`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p['comparison'])} ${String(p['limit'])} ${got}`;
    case 'minItems':
      return `must have at least ${String(p['limit'])} item(s) (got ${Array.isArray(e.data) ? e.data.length : 0})`;
    case 'minProperties':
      return `must have at least ${String(p['limit'])} entr${p['limit'] === 1 ? 'y' : 'ies'}`;
    case 'minLength':
      return p['limit'] === 1 ? 'must not be empty' : `must have at least ${String(p['limit'])} characters ${got}`;
    case 'uniqueItems': {
      const items = Array.isArray(e.data) ? (e.data as readonly unknown[]) : [];
      return `must not repeat a value: items ${String(p['j'])} and ${String(p['i'])} are both ${show(items[Number(p['i'])])}`;
    }
    case 'pattern':
      return e.propertyName === undefined
        ? `must match /${String(p['pattern'])}/ ${got}`
        : `key '${e.propertyName}' must match /${String(p['pattern'])}/`;
    default:
      return `${e.message ?? `fails '${e.keyword}'`} ${got}`;
  }
}

/**
 * The one Ajv error to report. With allErrors off Ajv stops at the first failure, deepest first; the
 * `if` error that follows only says the kind's branch failed, and `propertyNames` only repeats the
 * pattern error before it, so both are skipped in favour of the error they wrap.
 */
export function schemaMessage(errors: readonly ErrorObject[], root: unknown): string {
  const e = errors.find((x) => x.keyword !== 'if' && x.keyword !== 'propertyNames') ?? errors[0];
  if (e === undefined) return 'document: does not match spec/ir.schema.json';
  return `${jsonPath(e.instancePath, root)}: ${describe(e)}`;
}

type FieldOf = string | ((detail: string) => string);

/**
 * The node field each verifier rule is about. The verifier words some rules for more than one field,
 * so the wording decides between them; selftest/ir-json.test.ts holds a case of each it relies on.
 */
const NODE_FIELD: Readonly<Record<string, FieldOf>> = {
  'ir.graph.1': (d) => (/stored at position/.test(d) ? 'id' : 'args'),
  'ir.dtype.1': 'dtype',
  'ir.shape.1': 'shape',
  'ir.const.1': (d) => (/must be 0-d/.test(d) ? 'shape' : 'value'),
  'ir.node.kind': 'kind',
  'ir.op.unknown': 'op',
  'ir.op.arity': 'args',
  'ir.broadcast.1': (d) => (/is not the broadcast/.test(d) ? 'shape' : 'args'),
  'ir.transpose.1': 'shape',
  'ir.call.1': 'semantics',
  'registry.call.1': 'args',
  'registry.call.3': 'args',
  'registry.call.4': 'args',
  'registry.call.shape': (d) => (/declared shape/.test(d) ? 'shape' : 'args'),
  'registry.config.1': 'config.blockSizes',
};

/** The rules about graph.inputs and graph.outputs, which name a node by its id in the list. */
const LIST_OF: Readonly<Record<string, 'inputs' | 'outputs'>> = { 'ir.graph.2': 'inputs', 'ir.graph.3': 'outputs' };

/**
 * Which node a verifier message is about. Most start `%id:` or `%id = call …`; an id stored at the
 * wrong position is reported by its id, so its position is read from the message; and broadcastShapes
 * names the op by its operands, `add(%1, %2): …`, so that is matched against the nodes — the first
 * match is the node verifyGraph stopped at, as it checks nodes in order.
 */
function nodeIndex(graph: Graph, rule: string, detail: string): number | undefined {
  const moved = rule === 'ir.graph.1' ? /stored at position (\d+)/.exec(detail) : null;
  if (moved !== null) return Number(moved[1]);
  const prefix = /^%(\d+)(?::| =)/.exec(detail);
  if (prefix !== null) return Number(prefix[1]);
  const i = graph.nodes.findIndex((n) => n.kind === 'op' && detail.startsWith(`${n.op}(%${n.args.join(', %')}): `));
  return i < 0 ? undefined : i;
}

/** `<path>: <what>` for an error verifyGraph raised on `graph`, keeping the verifier's own wording. */
export function verifierMessage(graph: Graph, e: WgfuseError): string {
  const detail = e.detail;
  const list = LIST_OF[e.rule];
  if (list !== undefined) {
    const id = /%(\d+)/.exec(detail)?.[1];
    const k = id === undefined ? -1 : graph[list].indexOf(Number(id));
    if (k >= 0) return `graph.${list}[${k}]: ${detail.replace(/^graph: /, '')}`;
    if (id !== undefined && graph.nodes[Number(id)] !== undefined) return `graph.nodes[${id}]: ${detail.replace(/^%\d+: /, '')}`;
    return `graph.${list}: ${detail.replace(/^graph: /, '')}`;
  }
  const index = nodeIndex(graph, e.rule, detail);
  if (index === undefined) return `graph: ${detail.replace(/^graph: /, '')}`;
  const field = NODE_FIELD[e.rule];
  const name = typeof field === 'function' ? field(detail) : field;
  return `graph.nodes[${index}]${name === undefined ? '' : `.${name}`}: ${detail.replace(/^%\d+: /, '')}`;
}

// Architecture check: imports between spec/, reference/, conformance/ and scripts/ run one way, with no
// cycles, and no file outgrows its budget. `npm test` can't see these rules, so this script states them.
//
// Imports are found with a small lexer below, not the TypeScript compiler API: the installed
// `typescript` is 7.x (the native port), whose package exports only `version` (no `preProcessFile`,
// no `createSourceFile`). The lexer skips comments, strings, template literals and regex literals, so
// an import-like text inside any of them is not mistaken for an import.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { parseCli } from './lib/cli.js';

/** Lines per .ts file, tests included: past this a file holds more than one concern. */
export const MAX_FILE_LINES = 500;
/** Lines of non-test .ts under reference/: the reference stays small enough to read in one sitting. */
export const REFERENCE_LINE_BUDGET = 4000;
/** The one conformance file that may import reference/; the rest of the suite goes through it. */
export const REFERENCE_DOOR = 'conformance/reference-door.ts';
export const LAYERS = ['spec', 'reference', 'conformance', 'scripts'] as const;
// The spec's one package: IEEE binary16 rounding and Float16Array, pure JavaScript, for the f16 dtype's
// semantics (spec/f16.ts); Node 20 has no Math.f16round.
const SPEC_PACKAGES = ['@petamoriken/float16'];
const TEST_PACKAGES = ['vitest', 'fast-check'];

export interface ImportRef {
  readonly line: number;
  readonly specifier: string;
  /** `import type`, `export type` or `typeof import(...)`: erased at runtime. */
  readonly typeOnly: boolean;
}

interface Token {
  readonly t: string;
  readonly line: number;
  /** Set for a quoted string literal, whose value is `t`; never for a template literal. */
  readonly str?: true;
}

// After one of these, `/` starts a regex literal rather than a division.
const BEFORE_EXPRESSION = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'instanceof', 'yield', 'await']);
const WORD = /[\w$\u0080-\uffff]/;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const braces: ('block' | 'template')[] = [];
  let line = 1;
  let i = 0;
  const count = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (text[k] === '\n') line++;
  };
  /** Reads template text from i to the closing backtick or a `${`, which it enters. */
  const template = (): void => {
    const start = i;
    while (i < text.length && text[i] !== '`' && !(text[i] === '$' && text[i + 1] === '{')) i += text[i] === '\\' ? 2 : 1;
    count(start, i);
    if (text[i] === '$') braces.push('template');
    out.push({ t: text[i] === '$' ? '${' : '`', line });
    i += text[i] === '$' ? 2 : 1;
  };
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      count(i, (i = end < 0 ? text.length : end + 2));
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c && text[j] !== '\n') {
        value += text[j] === '\\' ? (text[++j] ?? '') : (text[j] ?? '');
        j++;
      }
      out.push({ t: value, line, str: true });
      count(i, j);
      i = text[j] === c ? j + 1 : j;
      continue;
    }
    if (c === '`') { i++; template(); continue; }
    if (c === '}' && braces.at(-1) === 'template') { braces.pop(); i++; template(); continue; }
    if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text[i] ?? '')) i++;
      out.push({ t: text.slice(start, i), line });
      continue;
    }
    const prev = out.at(-1);
    const regex = c === '/' && (prev === undefined || (prev.str !== true && (BEFORE_EXPRESSION.has(prev.t) || !(WORD.test(prev.t[0] ?? '') || [')', ']', '}', '`'].includes(prev.t)))));
    if (regex) {
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== '\n' && (inClass || text[j] !== '/')) {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        j++;
      }
      out.push({ t: '/regex/', line });
      i = text[j] === '/' ? j + 1 : j;
      continue;
    }
    if (c === '{') braces.push('block');
    if (c === '}') braces.pop();
    out.push({ t: c, line });
    i++;
  }
  return out;
}

/** Every static import, `export ... from` and `import('literal')` in a file, with its line. */
export function findImports(text: string): ImportRef[] {
  const toks = tokenize(text);
  const at = (k: number): Token | undefined => toks[k];
  const word = (k: number, w: string): boolean => at(k)?.t === w && at(k)?.str !== true;
  const refs: ImportRef[] = [];
  /** From k, skips a `{...}` clause and names up to `from 'x'`; the string's index, or -1. */
  const fromClause = (k: number): number => {
    for (let j = k; j < toks.length && j < k + 200; j++) {
      const tok = toks[j];
      if (tok === undefined || tok.str === true || [';', '=', '(', ')', 'import', 'export'].includes(tok.t)) return -1;
      if (tok.t === '{') while (j < toks.length && toks[j]?.t !== '}') j++;
      else if (tok.t === 'from' && at(j + 1)?.str === true) return j + 1;
    }
    return -1;
  };
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k];
    if (tok === undefined || tok.str === true || word(k - 1, '.')) continue;
    if (tok.t === 'import') {
      const next = at(k + 1);
      if (next?.t === '(' && next.str !== true) {
        const s = at(k + 2);
        if (s?.str === true && (word(k + 3, ')') || word(k + 3, ','))) refs.push({ line: tok.line, specifier: s.t, typeOnly: word(k - 1, 'typeof') });
      } else if (next?.str === true) refs.push({ line: tok.line, specifier: next.t, typeOnly: false });
      else if (next !== undefined && next.t !== '.') {
        const s = fromClause(k + 1);
        const typeOnly = word(k + 1, 'type') && !word(k + 2, 'from') && !word(k + 2, ',') && !word(k + 2, '=');
        if (s >= 0) refs.push({ line: tok.line, specifier: at(s)?.t ?? '', typeOnly });
      }
    } else if (tok.t === 'export') {
      const typeOnly = word(k + 1, 'type');
      const head = typeOnly ? k + 2 : k + 1;
      if (!word(head, '{') && !word(head, '*')) continue;
      const s = fromClause(head);
      if (s >= 0) refs.push({ line: tok.line, specifier: at(s)?.t ?? '', typeOnly });
    }
  }
  return refs;
}

/** Lines as an editor numbers them: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

const isTest = (file: string): boolean => file.endsWith('.test.ts');
const layerOf = (file: string): string => (file.includes('/') ? (file.split('/')[0] ?? '') : '(repo root)');
const packageName = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(packageName(spec));

type Target = { readonly kind: 'file'; readonly path: string; readonly exists: boolean } | { readonly kind: 'package'; readonly name: string };

/** Maps a specifier to a repo path (`.js` to its `.ts`, a folder to its index.ts) or to a package. */
function resolve(from: string, spec: string, files: ReadonlyMap<string, string>): Target {
  if (spec.startsWith('/')) return { kind: 'file', path: spec, exists: false };
  if (!spec.startsWith('.')) return { kind: 'package', name: packageName(spec) };
  const path = posix.join(posix.dirname(from), spec);
  const candidates = [path.replace(/\.(m|c)?js$/, '.$1ts'), path, `${path}.ts`, `${path}/index.ts`];
  const found = candidates.find((c) => files.has(c));
  return { kind: 'file', path: found ?? candidates[0] ?? path, exists: found !== undefined };
}

/** The rule an import breaks, or undefined when it keeps them all. */
function brokenRule(from: string, target: Target, typeOnly: boolean): string | undefined {
  const layer = layerOf(from);
  if (target.kind === 'package') {
    const name = target.name;
    if (layer === 'spec' && !SPEC_PACKAGES.includes(name) && !(isTest(from) && TEST_PACKAGES.includes(name))) {
      return `spec/ imports no packages or node: builtins but ${SPEC_PACKAGES.join(', ')} (tests: also vitest, fast-check)`;
    }
    if (layer === 'reference') {
      const allowed = (isTest(from) && TEST_PACKAGES.includes(name)) || (name === '@webgpu/types' && typeOnly);
      if (!allowed) return isBuiltin(name) ? 'reference/ imports no node: builtins' : "reference/ imports no packages except type-only '@webgpu/types' (tests: also vitest, fast-check)";
    }
    return undefined;
  }
  const to = layerOf(target.path);
  const unresolved = target.exists ? undefined : 'it resolves to no file in the repo';
  if (layer === 'scripts') return unresolved;
  if (to === 'scripts') return 'nothing outside scripts/ imports scripts/';
  if (to === 'conformance' && layer !== 'conformance') return 'nothing outside conformance/ and scripts/ imports conformance/';
  if (layer === 'spec' && to !== 'spec') return 'spec/ may import only spec/';
  if (layer === 'reference' && to !== 'spec' && to !== 'reference') return 'reference/ may import only spec/ and reference/';
  if (layer === 'conformance' && to === 'reference' && from !== REFERENCE_DOOR) return `conformance/ reaches reference/ only through the one door, ${REFERENCE_DOOR}`;
  if (layer === 'conformance' && to !== 'spec' && to !== 'conformance' && to !== 'reference') return 'conformance/ may import only spec/, conformance/ and (through the door) reference/';
  return unresolved;
}

interface Edge { readonly to: string; readonly line: number; readonly specifier: string }

/** Depth-first search; each edge back to a file still open on the path closes one cycle. */
function findCycles(graph: ReadonlyMap<string, readonly Edge[]>): { chain: string[]; from: string; edge: Edge }[] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: { chain: string[]; from: string; edge: Edge }[] = [];
  const visit = (v: string): void => {
    state.set(v, 'open');
    path.push(v);
    for (const edge of graph.get(v) ?? []) {
      if (state.get(edge.to) === 'open') cycles.push({ chain: [...path.slice(path.indexOf(edge.to)), edge.to], from: v, edge });
      else if (!state.has(edge.to)) visit(edge.to);
    }
    path.pop();
    state.set(v, 'done');
  };
  for (const v of [...graph.keys()].sort()) if (!state.has(v)) visit(v);
  return cycles;
}

/** Checks the dependency rules and size budgets over `files` (repo-relative path → text). Pure. */
export function checkArchitecture(files: ReadonlyMap<string, string>): { violations: string[]; summary: string } {
  const checked = new Map([...files].filter(([p]) => p.endsWith('.ts') && !p.split('/').includes('node_modules') && (LAYERS as readonly string[]).includes(layerOf(p))));
  const violations: string[] = [];
  const graph = new Map<string, Edge[]>();
  let largest = 0;
  let referenceTotal = 0;
  for (const [file, text] of [...checked].sort(([a], [b]) => a.localeCompare(b))) {
    const edges: Edge[] = [];
    for (const ref of findImports(text)) {
      const target = resolve(file, ref.specifier, checked);
      const rule = brokenRule(file, target, ref.typeOnly);
      const shown = target.kind === 'file' ? ` (${target.path})` : '';
      if (rule !== undefined) violations.push(`${file}:${ref.line} imports '${ref.specifier}'${shown}: ${rule}`);
      // One edge per imported file, so a value and a type import of one file report one cycle.
      if (target.kind === 'file' && target.exists && !edges.some((e) => e.to === target.path)) edges.push({ to: target.path, line: ref.line, specifier: ref.specifier });
    }
    graph.set(file, edges);
    const lines = lineCount(text);
    largest = Math.max(largest, lines);
    if (lines > MAX_FILE_LINES) violations.push(`${file} has ${lines} lines; the budget is ${MAX_FILE_LINES} per file. hint: split it by concern`);
    if (layerOf(file) === 'reference' && !isTest(file)) referenceTotal += lines;
  }
  if (referenceTotal > REFERENCE_LINE_BUDGET) {
    violations.push(`reference/ has ${referenceTotal} lines of non-test .ts; the budget is ${REFERENCE_LINE_BUDGET} (REFERENCE_LINE_BUDGET). hint: move what is not the reference's job to conformance/ or scripts/`);
  }
  const cycles = findCycles(graph);
  for (const { chain, from, edge } of cycles) {
    violations.push(`${from}:${edge.line} imports '${edge.specifier}' (${edge.to}), closing the cycle ${chain.join(' → ')}: no import cycles`);
  }
  const sizes = `largest file ${largest} lines (reference/ total ${referenceTotal}/${REFERENCE_LINE_BUDGET})`;
  const summary = violations.length === 0
    ? `architecture: ${checked.size} files, imports one-way, no cycles, ${sizes}`
    : `architecture: ${checked.size} files, ${violations.length} violation${violations.length === 1 ? '' : 's'} (${cycles.length} cycle${cycles.length === 1 ? '' : 's'}), ${sizes}`;
  return { violations, summary };
}

const HELP = `usage: tsx scripts/architecture.ts

Checks every .ts file under ${LAYERS.join('/, ')}/ (run from the repo root):
  - spec/ imports only spec/ (tests: also vitest, fast-check)
  - reference/ imports only spec/ and reference/, and no package but type-only @webgpu/types
    (tests: also vitest, fast-check)
  - conformance/ imports spec/, conformance/, packages; reference/ only from ${REFERENCE_DOOR}
  - only scripts/ imports scripts/; only conformance/ and scripts/ import conformance/
  - no import cycles, type-only imports included
  - every .ts file has at most ${MAX_FILE_LINES} lines; non-test reference/ at most ${REFERENCE_LINE_BUDGET} in all
Exits 1 and lists the violations if any.

  -h, --help
`;

/** Reads the real tree: every .ts file under the layers, skipping node_modules. */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const layer of LAYERS) {
    if (!existsSync(posix.join(root, layer))) continue; // a missing layer has no files to check
    const entries = readdirSync(posix.join(root, layer), { recursive: true, encoding: 'utf8' });
    for (const entry of entries.map((e) => e.replaceAll('\\', '/')).filter((e) => e.endsWith('.ts') && !e.split('/').includes('node_modules'))) {
      files.set(`${layer}/${entry}`, readFileSync(posix.join(root, layer, entry), 'utf8'));
    }
  }
  return files;
}

if (process.argv[1]?.endsWith('architecture.ts')) {
  parseCli('architecture', HELP, {});
  const { violations, summary } = checkArchitecture(readTree(process.cwd()));
  for (const v of violations) process.stderr.write(`${v}\n`);
  process.stdout.write(`${summary}\n`);
  process.exitCode = violations.length > 0 ? 1 : 0;
}

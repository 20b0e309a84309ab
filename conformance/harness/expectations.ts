/**
 * Expectations files (spec/expectations.schema.json, spec/suite.md [suite.expect.*]): what an implementation
 * is known to fail, each with its reason. The main job reads them to judge outcomes; the judging tests read
 * the file the main job names (WGFUSE_EXPECT) to learn which rules a test is expected to fail by, so that a
 * property keeps judging every case past an expected failure ([suite.expect.3]).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { envVar, nodeBuiltin } from './runtime.js';

export interface Expectation {
  readonly test: string;
  readonly status: 'fail' | 'timeout' | 'skip';
  readonly reason: string;
  /** With status fail: the only rules the test may fail by. */
  readonly failingRules?: readonly string[];
  /** With status fail: it fails only by its kernel count, and the harness counted exactly this many. */
  readonly kernels?: number;
}

// Files are read in Node only, and only when an expectations file is named: a browser page runs without one.
const readText = (file: string | URL): string => nodeBuiltin('node:fs', 'reading an expectations file').readFileSync(file, 'utf8');
let validator: ReturnType<typeof compileSchema> | undefined;
function compileSchema() {
  const schema = JSON.parse(readText(new URL('../../spec/expectations.schema.json', import.meta.url))) as object;
  return new Ajv2020({ allErrors: true, strict: true }).compile<{ expectations: Expectation[] }>(schema);
}

/** Reads an expectations file; throws an Error naming the file, the entry and the field that is wrong. */
export function readExpectations(text: string, origin: string): Expectation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`[suite.expect.2] ${origin}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const validate = (validator ??= compileSchema());
  if (!validate(doc)) {
    const first = validate.errors?.[0];
    const where = (first?.instancePath ?? '').replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') || '(the document)';
    const extra = first?.keyword === 'additionalProperties' ? ` '${String((first.params as { additionalProperty?: unknown }).additionalProperty)}'` : '';
    throw new Error(`[suite.expect.2] ${origin}: ${where}: ${first?.message ?? 'is not valid'}${extra}`);
  }
  doc.expectations.forEach((e, k) => {
    try {
      new RegExp(e.test);
    } catch (err) {
      throw new Error(`[suite.expect.2] ${origin}: expectations[${k}].test: not a regular expression: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return doc.expectations;
}

/** The first entry that speaks of the test named `name` (`[rule] title`), skips aside. */
export function expectationFor(expectations: readonly Expectation[], name: string): Expectation | undefined {
  return expectations.find((x) => x.status !== 'skip' && new RegExp(x.test).test(name));
}

/**
 * The rules the test named `name` is expected to fail by, when its entry narrows them: `failingRules`, or
 * the kernel count alone for an entry with `kernels`. Empty when no entry narrows them (a plain `fail`
 * expects some failure, and which one is not known, so nothing is set aside).
 */
export function expectedFailingRules(expectations: readonly Expectation[], name: string): ReadonlySet<string> {
  const e = expectationFor(expectations, name);
  if (e === undefined || e.status !== 'fail') return new Set();
  return new Set(e.kernels !== undefined ? ['fusion.count.1'] : (e.failingRules ?? []));
}

let fromEnv: readonly Expectation[] | undefined;

/** The expectations file the main job named (WGFUSE_EXPECT), read once per worker; none when unset. */
export function expectationsFromEnv(): readonly Expectation[] {
  const file = envVar('WGFUSE_EXPECT');
  if (file === undefined || file === '') return [];
  fromEnv ??= readExpectations(readText(file), file);
  return fromEnv;
}

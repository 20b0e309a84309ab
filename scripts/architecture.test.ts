import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkArchitecture, findImports, lineCount, MAX_FILE_LINES, readTree, REFERENCE_LINE_BUDGET } from './architecture.js';

// The checker runs on synthetic trees, each the clean tree below with one planted fault, so every rule is
// seen to fail on its own and the message is seen to name the culprit.

/** Keeps every rule: each layer imports only what it may, through the door where it must. */
const CLEAN: Readonly<Record<string, string>> = {
  'spec/ir/index.ts': "export * from './types.js';\nexport { verify } from './verify.js';\n",
  'spec/ir/types.ts': 'export interface Graph { readonly nodes: number }\n',
  'spec/ir/verify.ts': "import type { Graph } from './types.js';\nexport const verify = (g: Graph): boolean => g.nodes >= 0;\n",
  'spec/ir.test.ts': "import fc from 'fast-check';\nimport { test } from 'vitest';\nimport { verify } from './ir/index.js';\n",
  'reference/index.ts': "import type { Graph } from '../spec/ir/index.js';\nimport type {} from '@webgpu/types';\nexport * from './lower.js';\n",
  'reference/lower.ts': "import { verify } from '../spec/ir/verify.js';\nexport const lower = verify;\n",
  'reference/lower.test.ts': "import { test } from 'vitest';\nimport { lower } from './lower.js';\n",
  'conformance/reference-door.ts': "export { lower } from '../reference/index.js';\n",
  'conformance/harness/device.ts': "import { readFileSync } from 'node:fs';\nimport { create } from 'webgpu';\nimport { lower } from '../reference-door.js';\nimport { verify } from '../../spec/ir/index.js';\n",
  'conformance/oracle.test.ts': "import { describe } from 'vitest';\nimport { lower } from './reference-door.js';\nimport './harness/device.js';\n",
  'scripts/run.ts': "import { lower } from '../reference/lower.js';\nimport '../conformance/harness/device.js';\nimport { parseArgs } from 'node:util';\n",
  'scripts/run.test.ts': "import { test } from 'vitest';\nimport './run.js';\n",
};

function tree(overrides: Readonly<Record<string, string>> = {}): Map<string, string> {
  return new Map(Object.entries({ ...CLEAN, ...overrides }));
}

/** Checks the tree and returns the one violation, so a test sees exactly the fault it planted. */
function onlyViolation(overrides: Readonly<Record<string, string>>): string {
  const { violations } = checkArchitecture(tree(overrides));
  expect(violations).toEqual([expect.any(String)]);
  return violations[0] ?? '';
}

const filler = (lines: number): string => '// filler\n'.repeat(lines);

describe('dependency rules', () => {
  test('[suite.architecture.1] a clean tree passes with a one-line summary', () => {
    const { violations, summary } = checkArchitecture(tree());
    expect(violations).toEqual([]);
    expect(summary).toMatch(/^architecture: 12 files, imports one-way, no cycles, largest file 4 lines \(reference\/ total \d+\/4000\)$/);
  });

  test('[suite.architecture.1] spec/ importing reference/ fails, naming file, line and specifier', () => {
    const v = onlyViolation({ 'spec/ir/print.ts': "// the graph\nimport { lower } from '../../reference/index.js';\n" });
    expect(v).toBe("spec/ir/print.ts:2 imports '../../reference/index.js' (reference/index.ts): spec/ may import only spec/");
  });

  test('[suite.architecture.1] reference/ importing conformance/ fails', () => {
    const v = onlyViolation({ 'reference/codegen.ts': "import { create } from '../conformance/harness/device.js';\n" });
    expect(v).toContain("reference/codegen.ts:1 imports '../conformance/harness/device.js' (conformance/harness/device.ts)");
    expect(v).toContain('nothing outside conformance/ and scripts/ imports conformance/');
  });

  test('[suite.architecture.1] reference/ importing scripts/ fails', () => {
    const v = onlyViolation({ 'reference/codegen.ts': "import { lower } from '../scripts/run.js';\n" });
    expect(v).toBe("reference/codegen.ts:1 imports '../scripts/run.js' (scripts/run.ts): nothing outside scripts/ imports scripts/");
  });

  test('[suite.architecture.1] a conformance file other than the door importing reference/ fails', () => {
    const v = onlyViolation({ 'conformance/oracle.test.ts': "import { describe } from 'vitest';\nimport { lower } from '../reference/lower.js';\n" });
    expect(v).toBe("conformance/oracle.test.ts:2 imports '../reference/lower.js' (reference/lower.ts): conformance/ reaches reference/ only through the one door, conformance/reference-door.ts");
  });

  test('[suite.architecture.1] a cycle fails as a chain, type-only edges included', () => {
    const v = onlyViolation({
      'spec/ir/types.ts': "import type { verify } from './verify.js';\nexport interface Graph { readonly nodes: number }\n",
    });
    expect(v).toBe("spec/ir/verify.ts:1 imports './types.js' (spec/ir/types.ts), closing the cycle spec/ir/types.ts → spec/ir/verify.ts → spec/ir/types.ts: no import cycles");
  });

  test('[suite.architecture.1] a file importing itself is a cycle', () => {
    expect(onlyViolation({ 'reference/lower.ts': "export * from './lower.js';\n" })).toContain('closing the cycle reference/lower.ts → reference/lower.ts');
  });

  test('[suite.architecture.1] spec/ importing a package or a node: builtin fails; a spec test may import vitest and fast-check', () => {
    expect(onlyViolation({ 'spec/ir/verify.ts': "import fc from 'fast-check';\n" })).toBe(
      "spec/ir/verify.ts:1 imports 'fast-check': spec/ imports no packages or node: builtins but @petamoriken/float16 (tests: also vitest, fast-check)",
    );
    expect(onlyViolation({ 'spec/ir/verify.ts': "import { join } from 'node:path';\n" })).toContain("spec/ir/verify.ts:1 imports 'node:path'");
    expect(onlyViolation({ 'spec/ir.test.ts': "import { x } from 'webgpu';\n" })).toContain("spec/ir.test.ts:1 imports 'webgpu'");
  });

  test('[suite.architecture.1] reference/ takes @webgpu/types only type-only, and no other package or builtin', () => {
    expect(onlyViolation({ 'reference/index.ts': "import {} from '@webgpu/types';\n" })).toContain("reference/index.ts:1 imports '@webgpu/types': reference/ imports no packages except type-only '@webgpu/types'");
    expect(onlyViolation({ 'reference/index.ts': "export const load = () => import('webgpu');\n" })).toContain("reference/index.ts:1 imports 'webgpu'");
    expect(onlyViolation({ 'reference/lower.ts': "import { readFileSync } from 'fs';\n" })).toContain('reference/ imports no node: builtins');
    expect(onlyViolation({ 'reference/lower.test.ts': "import fc from 'fast-check';\nimport { x } from 'node:fs';\n" })).toContain("reference/lower.test.ts:2 imports 'node:fs'");
  });

  test('[suite.architecture.1] type-only imports and every export-from form are seen', () => {
    for (const text of [
      "import type { Lowered } from '../../reference/lower.js';",
      "import { type Lowered } from '../../reference/lower.js';",
      "export * from '../../reference/lower.js';",
      "export * as lowered from '../../reference/lower.js';",
      "export { lower as l } from '../../reference/lower.js';",
      "export type { Lowered } from '../../reference/lower.js';",
      "type L = typeof import('../../reference/lower.js');",
    ]) {
      expect(onlyViolation({ 'spec/ir/print.ts': `${text}\n` }), text).toContain("spec/ir/print.ts:1 imports '../../reference/lower.js' (reference/lower.ts): spec/ may import only spec/");
    }
  });

  test('[suite.architecture.1] a dynamic import with a string literal is seen, on its own line', () => {
    const v = onlyViolation({ 'conformance/oracle.test.ts': "import { describe } from 'vitest';\n\nconst ref = await import(\n  '../reference/index.js'\n);\n" });
    expect(v).toContain("conformance/oracle.test.ts:3 imports '../reference/index.js' (reference/index.ts)");
  });

  test('[suite.architecture.1] a conformance file outside the layers of the repo fails; scripts/ may import anything', () => {
    expect(onlyViolation({ 'conformance/x.ts': "import c from '../vitest.config.js';\n" })).toContain('conformance/ may import only spec/, conformance/ and (through the door) reference/');
    expect(checkArchitecture(tree({ 'scripts/all.ts': "import '../spec/ir/index.js';\nimport '../reference/lower.js';\nimport '../conformance/oracle.test.js';\nimport 'fs';\n" })).violations).toEqual([]);
  });

  test('[suite.architecture.1] a relative import that resolves to no file fails, naming the path it tried', () => {
    expect(onlyViolation({ 'reference/lower.ts': "import { gone } from './gone.js';\n" })).toBe("reference/lower.ts:1 imports './gone.js' (reference/gone.ts): it resolves to no file in the repo");
  });

  test('[suite.architecture.1] a folder import resolves to its index.ts, and .js to .ts', () => {
    const v = onlyViolation({ 'spec/ir/print.ts': "import '../../reference';\n" });
    expect(v).toContain("imports '../../reference' (reference/index.ts): spec/ may import only spec/");
  });

  test('[suite.architecture.1] import-like text in comments, strings, templates and regexes is not an import', () => {
    const text = [
      "// import { a } from '../reference/a.js';",
      "/* export * from '../reference/b.js'; */",
      "const s = \"import c from '../reference/c.js'\";",
      "const t = `import('../reference/d.js') ${'}'} import('../reference/e.js')`;",
      "const r = /import\\('..\\/reference\\/f.js'\\)/;",
      'const half = 4 / 2; const path = import.meta.url;',
      "import { real } from './real.js';",
      "const later = import('./later.js');",
    ].join('\n');
    expect(findImports(text)).toEqual([
      { line: 7, specifier: './real.js', typeOnly: false },
      { line: 8, specifier: './later.js', typeOnly: false },
    ]);
  });

  test('[suite.architecture.1] a default import named type or from is not taken for type-only or a clause end', () => {
    expect(findImports("import type from './a.js';\nimport from from './b.js';\nimport type * as T from './c.js';")).toEqual([
      { line: 1, specifier: './a.js', typeOnly: false },
      { line: 2, specifier: './b.js', typeOnly: false },
      { line: 3, specifier: './c.js', typeOnly: true },
    ]);
  });
});

describe('size budget', () => {
  test('[suite.architecture.2] a file over the per-file budget fails, naming it and its count', () => {
    expect(lineCount(filler(MAX_FILE_LINES))).toBe(MAX_FILE_LINES);
    expect(checkArchitecture(tree({ 'conformance/oracle.test.ts': filler(MAX_FILE_LINES) })).violations).toEqual([]);
    const v = onlyViolation({ 'conformance/oracle.test.ts': filler(MAX_FILE_LINES + 1) });
    expect(v).toBe(`conformance/oracle.test.ts has ${MAX_FILE_LINES + 1} lines; the budget is ${MAX_FILE_LINES} per file. hint: split it by concern`);
  });

  test('[suite.architecture.2] non-test reference/ over REFERENCE_LINE_BUDGET in all fails; tests do not count', () => {
    const files = Math.ceil(REFERENCE_LINE_BUDGET / 400) + 1;
    const big: Record<string, string> = { 'reference/lower.test.ts': filler(450) };
    for (let i = 0; i < files; i++) big[`reference/part${i}.ts`] = filler(400);
    const total = files * 400 + lineCount(CLEAN['reference/index.ts'] ?? '') + lineCount(CLEAN['reference/lower.ts'] ?? '');
    const v = onlyViolation(big);
    expect(v).toContain(`reference/ has ${total} lines of non-test .ts; the budget is ${REFERENCE_LINE_BUDGET} (REFERENCE_LINE_BUDGET)`);
    expect(checkArchitecture(tree(big)).summary).toContain(`reference/ total ${total}/${REFERENCE_LINE_BUDGET}`);
  });
});

describe('real tree', () => {
  test('[suite.architecture.1] the checker runs over the repo and returns a summary (the CLI enforces it)', () => {
    const files = readTree(fileURLToPath(new URL('..', import.meta.url)));
    expect(files.has('scripts/architecture.ts')).toBe(true);
    const { violations, summary } = checkArchitecture(files);
    expect(Array.isArray(violations)).toBe(true);
    expect(summary).toMatch(/^architecture: \d+ files, /);
  });
});

import { createReferenceImplementation } from '../reference-door.js';
import type { KernelSource } from '../reference-door.js';
import type { PlantedFault } from './fault.js';

/**
 * Planted faults in the tiled matmul kernel (spec/suite.md [meta.mutant.matmul-*]), each a fault class
 * of tiled kernels: a missing mask on a ragged tile, a K loop that drops its last partial tile, an
 * epilogue applied at the wrong index, a register tile masked as a whole, A's 4×4 blocks staged untransposed. Each edits the reference's WGSL of matmul kernels only; the
 * matmul property must catch each by one of the rules in `caughtBy`.
 */
function onMatmulKernels(name: string, edit: (wgsl: string) => string, only: (wgsl: string) => boolean = () => true): PlantedFault['implementation'] {
  const isMatmul = (s: KernelSource): boolean => /^\/\/ wgfuse kernel k\d+: \w+ \(matmul,/.test(s.wgsl) && only(s.wgsl);
  const planted = (s: KernelSource): KernelSource => {
    const wgsl = edit(s.wgsl);
    // A fault whose pattern no longer matches the template's WGSL must fail loudly, not pass as unmodified.
    if (wgsl === s.wgsl) throw new Error(`planted fault '${name}' changed nothing in matmul kernel ${s.name}: its pattern no longer matches reference/kernels/matmul*.ts`);
    return { ...s, wgsl };
  };
  return createReferenceImplementation({ name, fuse: true, editSources: (sources) => sources.map((s) => (isMatmul(s) ? planted(s) : s)) });
}

/** Register-tiled matmul kernels ([templates.matmul.regtile]) store through `mm_store`, or `mm_store4` on the vec4 path. */
const isRegisterTiled = (wgsl: string): boolean => /fn mm_store4?\(/.test(wgsl);

/**
 * A register tile guarded as a whole by its first output: each `mm_store(batch, rowBase + i, colBase + j, v)`
 * becomes a store of (rowBase + i, colBase + j) under a guard on (rowBase, colBase) only, so a tile that
 * straddles the edge of C stores past it.
 */
function regtileEdgeUnmasked(wgsl: string): string {
  const stride = /store_out\(batch \* (.+) \+ row \* N \+ col, acc\);/.exec(wgsl)?.[1];
  const stride4 = /store_out4\(\(batch \* (.+) \+ row \* N \+ col\) \/ 4u, acc\);/.exec(wgsl)?.[1];
  const guard = 'if (rowBase < M && colBase < N)';
  return wgsl
    .replace(/^(\s*)mm_store\(batch, (rowBase \+ \d+u), (colBase \+ \d+u), ([\w.]+)\);$/gm, (line: string, indent: string, row: string, col: string, v: string) =>
      stride === undefined ? line : `${indent}${guard} { store_out(batch * ${stride} + (${row}) * N + ${col}, ${v}); } // edge mask of the whole tile`,
    )
    .replace(/^(\s*)mm_store4\(batch, (rowBase \+ \d+u), (colBase \+ \d+u), (\w+)\);$/gm, (line: string, indent: string, row: string, col: string, v: string) =>
      stride4 === undefined ? line : `${indent}${guard} { store_out4((batch * ${stride4} + (${row}) * N + ${col}) / 4u, ${v}); } // edge mask of the whole tile`,
    );
}

/**
 * The epilogue's side inputs read at the transposed output index (as if C were [N, M]) while the store
 * itself goes to the right place: Inductor's wrongly substituted epilogue index, on a tiled kernel.
 */
function transposedEpilogueIndex(wgsl: string): string {
  // On the vec4 path the hook takes quads: its side inputs are read at the quad of the transposed index.
  const quads = wgsl.includes('fn store_out4(i: u32, acc: vec4f) {');
  const signature = quads ? 'fn store_out4(i: u32, acc: vec4f) {' : 'fn store_out(i: u32, acc: f32) {';
  const start = wgsl.indexOf(signature);
  const end = wgsl.indexOf('\n}\n', start);
  if (start < 0 || end < 0) return wgsl;
  const hook = wgsl
    .slice(start, end)
    .replace(signature, signature.replace('(i: u32, ', '(i: u32, j: u32, '))
    .replace(/(= src_\w+\[)([^\]]*)\]/g, (_, head: string, index: string) => `${head}${index.replace(/\bi\b/g, 'j')}]`);
  // The store is in the entry point, or (register-tiled) in mm_store / mm_store4, declared before the hooks.
  const call = (text: string): string =>
    quads
      ? text.replace(/store_out4\(\(batch \* (.+) \+ row \* N \+ col\) \/ 4u, acc\);/, 'store_out4((batch * $1 + row * N + col) / 4u, (batch * $1 + col * M + row) / 4u, acc);')
      : text.replace(/store_out\(batch \* (.+) \+ row \* N \+ col, acc\);/, 'store_out(batch * $1 + row * N + col, batch * $1 + col * M + row, acc);');
  return call(wgsl.slice(0, start)) + hook + call(wgsl.slice(end));
}

/** On the vec4 path, kernels that stage A in 4×4 blocks and store through `mm_store4` ([templates.matmul.vec4]). */
const isQuads = (wgsl: string): boolean => wgsl.includes('fn mm_store4(');

/**
 * A's 4×4 blocks staged untransposed: column j of a block in mm_a gets row j of A's block (component c of
 * quad q becomes component q of quad c), so A's tile is stored as its own transpose within each block.
 */
function blockUntransposed(wgsl: string): string {
  const XYZW = 'xyzw';
  return wgsl.replace(/^(.*\/\/ column \d of the block)$/gm, (line: string) => line.replace(/\bq(\d)\.([xyzw])\b/g, (_, q: string, c: string) => `q${XYZW.indexOf(c)}.${XYZW[Number(q)]}`));
}

/** Each fault's edit of a matmul kernel's WGSL, by fault name, and whether it applies to register-tiled kernels only, or to those on the vec4 path only. */
export const MATMUL_FAULT_EDITS: Readonly<Record<string, { readonly edit: (wgsl: string) => string; readonly regtileOnly: boolean; readonly quadsOnly?: boolean }>> = {
  'matmul-unmasked-loads': { edit: (w) => w.replace(/if \(.*\) \{ ((?:v|q\d)(?:\.[xyzw])? = load_\w+\(.*\);) \} \/\/ mask:.*$/gm, '$1 // mask removed'), regtileOnly: false },
  'matmul-unguarded-store': { edit: (w) => w.replace(/^.*\/\/ bounds guard: ragged tiles store nothing.*$/m, ''), regtileOnly: false },
  'matmul-drops-last-k-tile': { edit: (w) => w.replace(/for \(var k0 = 0u; k0 < K; k0 \+= (\d+)u\)/, 'for (var k0 = 0u; k0 + $1u <= K; k0 += $1u)'), regtileOnly: false },
  'matmul-epilogue-wrong-index': { edit: transposedEpilogueIndex, regtileOnly: false },
  'matmul-regtile-edge-unmasked': { edit: regtileEdgeUnmasked, regtileOnly: true },
  'matmul-a-block-untransposed': { edit: blockUntransposed, regtileOnly: true, quadsOnly: true },
};

/** The planted fault named `name`, editing matmul kernels with its entry of MATMUL_FAULT_EDITS. */
function planted(name: string): PlantedFault['implementation'] {
  const entry = MATMUL_FAULT_EDITS[name];
  if (entry === undefined) throw new Error(`no matmul fault ${name}`);
  return onMatmulKernels(`mutant: ${name}`, entry.edit, entry.quadsOnly === true ? isQuads : entry.regtileOnly ? isRegisterTiled : () => true);
}

export const MATMUL_FAULTS: readonly PlantedFault[] = [
  {
    name: 'matmul-unmasked-loads',
    fault: 'loads of a ragged tile are not masked, so A and B are read past their edges (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1', 'numerics.nan.1'],
    implementation: planted('matmul-unmasked-loads'),
  },
  {
    name: 'matmul-unguarded-store',
    fault: 'stores of a ragged tile are not guarded, so invocations past the edge store too (caught by the canary or by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['interface.buffers.2', 'numerics.oracle.1'],
    implementation: planted('matmul-unguarded-store'),
  },
  {
    name: 'matmul-drops-last-k-tile',
    fault: 'the K loop stops before the last partial tile, k0 + BK <= K (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1'],
    implementation: planted('matmul-drops-last-k-tile'),
  },
  {
    name: 'matmul-epilogue-wrong-index',
    fault: 'the epilogue reads its side inputs at the transposed output index, the store itself is right (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1'],
    implementation: planted('matmul-epilogue-wrong-index'),
  },
  {
    name: 'matmul-regtile-edge-unmasked',
    fault: 'a register tile is guarded as a whole by its first output, so a tile straddling the edge of C stores past it (caught by the canary or by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['interface.buffers.2', 'numerics.oracle.1'],
    implementation: planted('matmul-regtile-edge-unmasked'),
  },
  {
    name: 'matmul-a-block-untransposed',
    fault: 'on the vec4 path A\'s 4×4 blocks are staged untransposed, so each block of A enters the product as its own transpose (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1'],
    implementation: planted('matmul-a-block-untransposed'),
  },
];

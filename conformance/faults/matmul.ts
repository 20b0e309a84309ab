import { createReferenceImplementation } from '../reference-door.js';
import type { KernelSource } from '../reference-door.js';
import type { PlantedFault } from './fault.js';

/**
 * Planted faults in the tiled matmul kernel (spec/suite.md [meta.mutant.matmul-*]), each a fault class
 * of tiled kernels: a missing mask on a ragged tile, a K loop that drops its last partial tile, an
 * epilogue applied at the wrong index. Each edits the reference's WGSL of matmul kernels only; the
 * matmul property must catch each by one of the rules in `caughtBy`.
 */
function onMatmulKernels(name: string, edit: (wgsl: string) => string): PlantedFault['implementation'] {
  const isMatmul = (s: KernelSource): boolean => /^\/\/ wgfuse kernel k\d+: \w+ \(matmul,/.test(s.wgsl);
  return createReferenceImplementation({ name, fuse: true, editSources: (sources) => sources.map((s) => (isMatmul(s) ? { ...s, wgsl: edit(s.wgsl) } : s)) });
}

/**
 * The epilogue's side inputs read at the transposed output index (as if C were [N, M]) while the store
 * itself goes to the right place: Inductor's wrongly substituted epilogue index, on a tiled kernel.
 */
function transposedEpilogueIndex(wgsl: string): string {
  const start = wgsl.indexOf('fn store_out(i: u32, acc: f32) {');
  const end = wgsl.indexOf('\n}\n', start);
  if (start < 0 || end < 0) return wgsl;
  const hook = wgsl
    .slice(start, end)
    .replace('fn store_out(i: u32, acc: f32) {', 'fn store_out(i: u32, acc: f32, j: u32) {')
    .replace(/(= src_\w+\[)([^\]]*)\]/g, (_, head: string, index: string) => `${head}${index.replace(/\bi\b/g, 'j')}]`);
  const body = wgsl.slice(end).replace(/store_out\(batch \* (.+) \+ row \* N \+ col, acc\);/, 'store_out(batch * $1 + row * N + col, acc, batch * $1 + col * M + row);');
  return wgsl.slice(0, start) + hook + body;
}

export const MATMUL_FAULTS: readonly PlantedFault[] = [
  {
    name: 'matmul-unmasked-loads',
    fault: 'loads of a ragged tile are not masked, so A and B are read past their edges (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1', 'numerics.nan.1'],
    implementation: onMatmulKernels('mutant: matmul-unmasked-loads', (w) => w.replace(/if \(.*\) \{ (v = load_\w+\(.*\);) \} \/\/ mask:.*$/gm, '$1 // mask removed')),
  },
  {
    name: 'matmul-unguarded-store',
    fault: 'stores of a ragged tile are not guarded, so invocations past the edge store too (caught by the canary or by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['interface.buffers.2', 'numerics.oracle.1'],
    implementation: onMatmulKernels('mutant: matmul-unguarded-store', (w) => w.replace(/^.*\/\/ bounds guard: ragged tiles store nothing.*$/m, '')),
  },
  {
    name: 'matmul-drops-last-k-tile',
    fault: 'the K loop stops before the last partial tile, k0 + BK <= K (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1'],
    implementation: onMatmulKernels('mutant: matmul-drops-last-k-tile', (w) => w.replace(/for \(var k0 = 0u; k0 < K; k0 \+= (\d+)u\)/, 'for (var k0 = 0u; k0 + $1u <= K; k0 += $1u)')),
  },
  {
    name: 'matmul-epilogue-wrong-index',
    fault: 'the epilogue reads its side inputs at the transposed output index, the store itself is right (caught by fused ≈ oracle)',
    catcher: 'matmul',
    caughtBy: ['numerics.oracle.1'],
    implementation: onMatmulKernels('mutant: matmul-epilogue-wrong-index', transposedEpilogueIndex),
  },
];

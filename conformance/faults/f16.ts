import { printGraph } from '../../spec/index.js';
import type { CompiledProgram, Implementation } from '../../spec/implementation.js';
import { createReferenceImplementation, fusedReference } from '../reference-door.js';
import type { KernelSource } from '../reference-door.js';
import type { PlantedFault } from './fault.js';

/**
 * Planted faults of mixed precision (spec/suite.md [meta.mutant.f16-*]), each a fault class of f16
 * support in fusion compilers: a cast to f16 dropped from a fused chain, an f16 tensor stored as f32,
 * a row reduction accumulating in f16. Each edits the reference's WGSL of the kernels that have f16
 * tensors (`enable f16;`) and nothing else.
 */
function onF16Kernels(name: string, edit: (wgsl: string) => string): PlantedFault['implementation'] {
  const hasF16 = (s: KernelSource): boolean => s.wgsl.startsWith('enable f16;');
  return createReferenceImplementation({ name: `mutant: ${name}`, fuse: true, editSources: (sources) => sources.map((s) => (hasF16(s) ? { ...s, wgsl: edit(s.wgsl) } : s)) });
}

/** `let v = f32(f16(e)); // %n cast_f16` becomes `let v = e;`: the value keeps its f32 bits. */
const castElided = (w: string): string => w.replace(/= f32\(f16\((.*)\)\); \/\/ %(\d+) cast_f16$/gm, '= $1; // %$2 cast_f16 elided');

/** Every f16 store buffer is declared array<f32> and stored without rounding: 4-byte values where the tensor has 2-byte elements. */
const storedAsF32 = (w: string): string =>
  w
    .replace(/(var<storage, read_write> \w+: array<)f16>/g, '$1f32>')
    .replace(/^(\s*dst\w*\[i\] = )f16\((.*)\);/gm, '$1$2;');

/**
 * rmsnorm's sum of squares rounded to f16 at every step, as an accumulator of the operand's dtype would be:
 * in the loop of the passes, and in the sum over the registers of the register cache ([templates.reduction.cache]).
 */
export const accumulatesInF16 = (w: string): string =>
  w
    .replace(/^(\s*)s \+= v \* v;/m, '$1s = f32(f16(s + v * v)); // accumulator in f16')
    .replace(/^(\s*)let s = (.*); \/\/ this lane's sum of squares.*$/m, (_, indent: string, sum: string) => {
      const steps = [...sum.matchAll(/(x\d+) \* \1/g)].map(([square]) => `${indent}s = f32(f16(s + ${square})); // accumulator in f16`);
      return [`${indent}var s = 0f;`, ...steps].join('\n');
    });

/**
 * Programs cached by graph with dtypes left out of the key: compiling a graph in f32 after the same graph
 * in f16 (or the reverse) returns the program built for the other dtype.
 */
function dtypeBlindCache(): Implementation {
  const cache = new Map<string, CompiledProgram>();
  return {
    name: 'mutant: dtype-blind-cache',
    ...(fusedReference.needs === undefined ? {} : { needs: fusedReference.needs }),
    async compile(graph, kernels, device) {
      const key = printGraph(graph).replace(/\b(f16|f32)\[/g, 'T[');
      let program = cache.get(key);
      if (program === undefined) {
        const built = await fusedReference.compile(graph, kernels, device);
        // Kept for reuse, so never disposed.
        program = { ...built, dispose() {} };
        cache.set(key, program);
      }
      return program;
    },
  };
}

export const F16_FAULTS: readonly PlantedFault[] = [
  {
    name: 'dtype-blind-cache',
    catcher: 'dtype-change',
    fault: 'compiled programs are cached by graph with the dtypes left out of the key, so a graph in f32 reuses the f16 one\'s kernel (caught by the dtype guard property)',
    caughtBy: ['numerics.oracle.1', 'numerics.f16.3', 'numerics.nan.1', 'interface.buffers.2', 'fusion.count.1'],
    implementation: dtypeBlindCache(),
  },
  {
    name: 'f16-cast-elided',
    catcher: 'f16',
    fault: 'a cast_f16 inside a fused chain is dropped, so the value is never rounded to f16 (caught by the f16 values check)',
    caughtBy: ['numerics.f16.3', 'numerics.oracle.1'],
    implementation: onF16Kernels('f16-cast-elided', castElided),
  },
  {
    name: 'f16-stored-as-f32',
    catcher: 'f16',
    fault: 'an f16 output is stored as f32, unrounded, where the policy rounds at the store (caught by the buffer canaries and the oracle)',
    caughtBy: ['interface.buffers.2', 'numerics.oracle.1', 'numerics.f16.3', 'numerics.nan.1'],
    implementation: onF16Kernels('f16-stored-as-f32', storedAsF32),
  },
  {
    name: 'rmsnorm-f16-accumulator',
    catcher: 'f16-reduction',
    fault: 'rmsnorm on f16 accumulates its sum of squares in f16, not f32: rows whose squares pass 65504 overflow (caught by the oracle)',
    caughtBy: ['numerics.oracle.1', 'numerics.nan.1'],
    implementation: onF16Kernels('rmsnorm-f16-accumulator', accumulatesInF16),
  },
];

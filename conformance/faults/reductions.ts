import { createReferenceImplementation } from '../reference-door.js';
import type { KernelSource } from '../reference-door.js';
import type { ReductionTemplate } from '../generators/reduction-case.js';
import type { PlantedFault } from './fault.js';

/**
 * Planted faults in the row-reduction kernels (spec/suite.md [meta.mutant.softmax-*],
 * [meta.mutant.rmsnorm-*]), each a fault class of reduction kernels: a row read past its end, a last
 * partial block dropped, a missing barrier, the epilogue applied before normalization. Each edits the
 * reference's WGSL of one template's kernels only; the reduction property on that template must catch it by one of the rules in `caughtBy`.
 */
function onKernelsOf(template: ReductionTemplate, name: string, edit: (wgsl: string) => string): PlantedFault['implementation'] {
  const matches = (s: KernelSource): boolean => new RegExp(`^// wgfuse kernel k\\d+: \\w+ \\(${template},`).test(s.wgsl);
  return createReferenceImplementation({ name, fuse: true, editSources: (sources) => sources.map((s) => (matches(s) ? { ...s, wgsl: edit(s.wgsl) } : s)) });
}

const REDUCTION_LOOP = /for \(var j = lane; j < n; j \+= (\d+)u\) \{ \/\/ mask:/g;

/** Reduction loops run to the end of the row's last block, past the row (Triton's missing load mask). */
const unmasked = (w: string): string => w.replace(REDUCTION_LOOP, 'for (var j = lane; j < (n + $1u - 1u) / $1u * $1u; j += $1u) { // mask removed:');

/** Reduction loops stop at the last whole block: the partial block at the row's end is never reduced. */
const dropsPartialBlock = (w: string): string => w.replace(REDUCTION_LOOP, 'for (var j = lane; j < n / $1u * $1u; j += $1u) { // mask cut short:');

const noBarriers = (w: string): string => w.replace(/^(\s*)workgroupBarrier\(\);/gm, '$1// barrier removed');

/** The store hook's final value, rewritten by `f`: `dst[i] = v;` becomes `dst[i] = f(v);`. */
const inStoreHook = (w: string, f: (v: string) => string): string => w.replace(/^(\s*)dst\[i\] = (\w+);/m, (_, indent: string, v: string) => `${indent}dst[i] = ${f(v)};`);

/** softmax stores e through the epilogue, and the hook divides the epilogue's result by the row's sum. */
function softmaxEpilogueFirst(w: string): string {
  const stored = w.replace(/store_out\(base \+ j, (.*) \/ total\); \/\/ store: normalized/, 'store_out(base + j, $1); // store: not normalized');
  return inStoreHook(stored, (v) => `${v} / sm_red[0]`);
}

/** rmsnorm stores x·w through the epilogue, and the hook scales the epilogue's result by the row's scale. */
function rmsnormEpilogueFirst(w: string): string {
  const scale = /let scale = (.*); \/\/ the row's scale/.exec(w)?.[1];
  if (scale === undefined) return w;
  const stored = w.replace(/store_out\(base \+ j, (load_x\(base \+ j\)) \* scale \* (load_w\(j\))\);/, 'store_out(base + j, $1 * $2); // store: not normalized');
  return inStoreHook(stored, (v) => `${v} * ${scale}`);
}

function mutantsOf(template: ReductionTemplate, epilogueFirst: (w: string) => string): PlantedFault[] {
  const oracle = ['numerics.oracle.1', 'numerics.nan.1'];
  const make = (fault: string, what: string, edit: (w: string) => string, caughtBy: readonly string[] = oracle): PlantedFault => ({
    name: `${template}-${fault}`,
    catcher: template,
    fault: what,
    caughtBy,
    implementation: onKernelsOf(template, `mutant: ${template}-${fault}`, edit),
  });
  return [
    make('no-mask', 'the reduction reads past a ragged row, into the next row (caught by fused ≈ oracle)', unmasked),
    make('drops-partial-block', 'the reduction drops the last partial block of a row (caught by fused ≈ oracle)', dropsPartialBlock),
    make('no-barrier', 'the tree reduction has no barriers, so lanes read partials before they are written (caught by fused ≈ oracle)', noBarriers),
    make('epilogue-before-normalization', 'the epilogue is applied to the unnormalized value, then normalized (caught by fused ≈ oracle)', epilogueFirst),
  ];
}

export const REDUCTION_FAULTS: readonly PlantedFault[] = [...mutantsOf('softmax', softmaxEpilogueFirst), ...mutantsOf('rmsnorm', rmsnormEpilogueFirst)];

import { createReferenceImplementation } from '../reference-door.js';
import type { KernelSource } from '../reference-door.js';
import type { ReductionTemplate } from '../generators/reduction-case.js';
import type { PlantedFault } from './fault.js';

/**
 * Planted faults in the row-reduction kernels (spec/suite.md [meta.mutant.softmax-*],
 * [meta.mutant.rmsnorm-*]), each a fault class of reduction kernels: a row read past its end, a last
 * partial block dropped, a missing barrier, the epilogue applied before normalization, the register cache one
 * element short, a packed row folding its neighbour's partials, a quad's component left out of the sum, w's quads read
 * at the row's index. Each edits the
 * reference's WGSL of one template's kernels only; the reduction property on that template must catch it by one of the rules in `caughtBy`.
 */
function onKernelsOf(template: ReductionTemplate, name: string, edit: (wgsl: string) => string): PlantedFault['implementation'] {
  const matches = (s: KernelSource): boolean => new RegExp(`^// wgfuse kernel k\\d+: \\w+ \\(${template},`).test(s.wgsl);
  return createReferenceImplementation({ name, fuse: true, editSources: (sources) => sources.map((s) => (matches(s) ? { ...s, wgsl: edit(s.wgsl) } : s)) });
}

const REDUCTION_LOOP = /for \(var j = lane; j < n; j \+= (\d+)u\) \{ \/\/ mask:/g;

/** The register cache's mask of its ragged chunk: `let ok<k> = lane + <k·B>u < n; // mask: …`. */
const CACHE_MASK = /let (ok\d+) = (lane(?: \+ \d+u)?) < n; \/\/ mask:/g;

/** Reduction loops run to the end of the row's last block, past the row (Triton's missing load mask); the register cache loads its ragged chunk whole. */
const unmasked = (w: string): string =>
  w.replace(REDUCTION_LOOP, 'for (var j = lane; j < (n + $1u - 1u) / $1u * $1u; j += $1u) { // mask removed:').replace(CACHE_MASK, 'let $1 = true; // mask removed:');

/** Reduction loops stop at the last whole block: the partial block at the row's end is never reduced; nor is the register cache's ragged chunk. */
const dropsPartialBlock = (w: string): string =>
  w.replace(REDUCTION_LOOP, 'for (var j = lane; j < n / $1u * $1u; j += $1u) { // mask cut short:').replace(CACHE_MASK, 'let $1 = false; // mask cut short:');

/** The register cache's ragged chunk stops one element short: the row's last element is neither reduced nor stored (its register keeps the identity). */
const cacheDropsLast = (w: string): string => w.replace(CACHE_MASK, 'let $1 = $2 + 1u < n; // mask one short:');

const noBarriers = (w: string): string => w.replace(/^(\s*)workgroupBarrier\(\);/gm, '$1// barrier removed');

/**
 * The last level of each packed row's tree folds the next row's segment of the partials (the last row's,
 * the first's): `seg` there becomes `(seg + B) % (R·B)`.
 */
function packedRowsCross(w: string): string {
  const lanes = /let lane = lid\.x % (\d+)u;/.exec(w)?.[1];
  const size = /var<workgroup> \w+: array<f32, (\d+)>;/.exec(w)?.[1];
  if (lanes === undefined || size === undefined) return w;
  return w.replace(/^(.*\/\/ tree, final level.*)$/gm, (line: string) => line.replaceAll('[seg + ', `[(seg + ${lanes}u) % ${size}u + `));
}

/** The store hook's final value, rewritten by `f`: `dst[i] = v;` becomes `dst[i] = f(v);`. */
const inStoreHook = (w: string, f: (v: string) => string): string => w.replace(/^(\s*)dst\[i\] = (\w+);/m, (_, indent: string, v: string) => `${indent}dst[i] = ${f(v)};`);

/** `name` at module scope, set by every invocation right after the statement `let name = …;` of the kernel body, so the store hook can read it. */
function published(w: string, name: string): string {
  return `${w.replace(new RegExp(`^(\\s*)let ${name} = (.*);(.*)$`, 'm'), `$1let ${name} = $2;$3\n$1fault_${name} = ${name};`)}\nvar<private> fault_${name}: f32;\n`;
}

/** softmax stores e through the epilogue (scalar or quads), and the hook divides the epilogue's result by the row's sum. */
function softmaxEpilogueFirst(w: string): string {
  const stored = w.replace(/store_out(4?)\((base \+ [^,]*), ([^;]*) \/ total\);/g, 'store_out$1($2, $3); /* not normalized */');
  return inStoreHook(published(stored, 'total'), (v) => `${v} / fault_total`);
}

/** rmsnorm stores x·w through the epilogue, and the hook scales the epilogue's result by the row's scale. */
function rmsnormEpilogueFirst(w: string): string {
  const stored = w.replace(/store_out(4?)\((base \+ [^,]*), ([^;]*) \* scale \* (load_w4?\([^)]*\))\);/g, 'store_out$1($2, $3 * $4); /* not normalized */');
  return inStoreHook(published(stored, 'scale'), (v) => `${v} * fault_scale`);
}

/** On the vec4 path ([templates.reduction.vec4]), each lane's sum (of e, of squares) folds three components of its quads, not four. */
const quadSumShort = (w: string): string => w.replace(/let s = \(s4\.x \+ s4\.y\) \+ \(s4\.z \+ s4\.w\);/, 'let s = (s4.x + s4.y) + s4.z; // .w dropped');

/**
 * On rmsnorm's vec4 path, w's quad is read at the row's quad index, as if w had the output's shape: row r
 * weighs by quads r·C/4 … of w, past its end from the second row on (where robust access clamps or zeroes).
 */
const quadWeightByRow = (w: string): string => w.replace(/load_w4\(lane/g, 'load_w4(base + lane');

/** Each reduction fault's edit of a template's WGSL, by fault name (without the template's prefix). */
export function reductionEdits(template: ReductionTemplate): Readonly<Record<string, (w: string) => string>> {
  return {
    'quad-sum-short': quadSumShort,
    ...(template === 'rmsnorm' ? { 'quad-weight-by-row': quadWeightByRow } : {}),
    'no-mask': unmasked,
    'drops-partial-block': dropsPartialBlock,
    'no-barrier': noBarriers,
    'epilogue-before-normalization': template === 'softmax' ? softmaxEpilogueFirst : rmsnormEpilogueFirst,
    'cache-drops-last': cacheDropsLast,
    'packed-rows-cross': packedRowsCross,
  };
}

const FAULT_CLASSES: Readonly<Record<string, string>> = {
  'no-mask': 'the reduction reads past a ragged row, into the next row (caught by fused ≈ oracle)',
  'drops-partial-block': 'the reduction drops the last partial block of a row (caught by fused ≈ oracle)',
  'no-barrier': 'the tree reduction has no barriers, so lanes read partials before they are written (caught by fused ≈ oracle)',
  'epilogue-before-normalization': 'the epilogue is applied to the unnormalized value, then normalized (caught by fused ≈ oracle)',
  'cache-drops-last': 'the register cache stops one element short of a ragged row: its last element is neither reduced nor stored (caught by fused ≈ oracle)',
  'packed-rows-cross': 'the last level of a packed row\'s tree folds its neighbour\'s segment of the partials (caught by fused ≈ oracle)',
  'quad-sum-short': 'on the vec4 path each lane\'s sum (of e, of squares) leaves out the last component of its quads, so rows sum to about ¾ of their total (caught by fused ≈ oracle)',
  'quad-weight-by-row': 'on the vec4 path w\'s quad is read at the row\'s quad index, as if w had the output\'s shape, so every row after the first is weighed by the wrong values (caught by fused ≈ oracle)',
};

function mutantsOf(template: ReductionTemplate): PlantedFault[] {
  const caughtBy = ['numerics.oracle.1', 'numerics.nan.1'];
  return Object.entries(reductionEdits(template)).map(([fault, edit]) => ({
    name: `${template}-${fault}`,
    catcher: template,
    fault: FAULT_CLASSES[fault] ?? fault,
    caughtBy,
    implementation: onKernelsOf(template, `mutant: ${template}-${fault}`, edit),
  }));
}

export const REDUCTION_FAULTS: readonly PlantedFault[] = [...mutantsOf('softmax'), ...mutantsOf('rmsnorm')];

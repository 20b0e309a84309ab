import { describe, expect, test } from 'vitest';
import { COMPAT_DEFAULT_LIMITS, generateProgram, lowerGraph, TEMPLATES } from '../reference-door.js';
import { accumulatesInF16 } from '../faults/f16.js';
import { reductionEdits } from '../faults/reductions.js';
import { buildReductionCase, SOFTMAX_SEED_CASE } from '../generators/reduction-case.js';
import type { ReductionCase, ReductionTemplate } from '../generators/reduction-case.js';

// The row-reduction faults of conformance/faults/reductions.ts edit the WGSL by its comment markers: each
// must plant in every code path of the reference it names (spec/suite.md [meta.mutant.plants]), so a
// marker renamed in reference/kernels/ cannot leave a fault that edits nothing and passes by luck.

/** The reduction kernel's WGSL of a case: its template over `shape` with blocks [B]. */
function wgslOf(template: ReductionTemplate, shape: number[], lanes: number, staticShapes: boolean): string {
  const rcase: ReductionCase = { ...SOFTMAX_SEED_CASE, template, shape, blockSizes: [lanes], staticShapes, epilogue: [], prologues: [[], []] };
  const { graph } = buildReductionCase(rcase);
  const kernels = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, COMPAT_DEFAULT_LIMITS).filter((k) => k.plan.call !== undefined);
  expect(kernels).toHaveLength(1);
  return kernels[0]?.wgsl ?? '';
}

/** The code paths: the register cache of a ragged row, packed; the multi-pass loops (a long row, dynamic shapes); one row per workgroup. */
const PATHS = {
  'cached, ragged, packed': { shape: [5, 37], lanes: 8, staticShapes: true },
  'multi-pass, long rows, packed': { shape: [3, 300], lanes: 3, staticShapes: true },
  'multi-pass, dynamic shapes, packed': { shape: [5, 37], lanes: 8, staticShapes: false },
  'cached, ragged, one row per workgroup': { shape: [3, 301], lanes: 100, staticShapes: true },
  // Rows in quads ([templates.reduction.vec4]): 5 quads a row over 3 lanes.
  'cached in quads, ragged, packed': { shape: [16, 20], lanes: 3, staticShapes: true },
} as const;

/** Where each fault must plant. */
const PLANTS: Readonly<Record<string, readonly (keyof typeof PATHS)[]>> = {
  'no-mask': Object.keys(PATHS) as (keyof typeof PATHS)[],
  'drops-partial-block': Object.keys(PATHS) as (keyof typeof PATHS)[],
  'no-barrier': Object.keys(PATHS) as (keyof typeof PATHS)[],
  'epilogue-before-normalization': Object.keys(PATHS) as (keyof typeof PATHS)[],
  'cache-drops-last': ['cached, ragged, packed', 'cached, ragged, one row per workgroup', 'cached in quads, ragged, packed'],
  'packed-rows-cross': ['cached, ragged, packed', 'multi-pass, long rows, packed', 'multi-pass, dynamic shapes, packed', 'cached in quads, ragged, packed'],
  'quad-sum-short': ['cached in quads, ragged, packed'],
  'quad-weight-by-row': ['cached in quads, ragged, packed'],
};

/** Faults of one template's own code path: rmsnorm's w read in quads ([templates.reduction.vec4]). */
const ONLY: Readonly<Record<string, ReductionTemplate>> = { 'quad-weight-by-row': 'rmsnorm' };

describe('row-reduction faults plant in every code path they name, on the CPU', () => {
  for (const template of ['softmax', 'rmsnorm'] as const) {
    test(`[meta.mutant.plants] each ${template} fault edits the WGSL of the reference's register-cached, multi-pass and packed kernels it names`, () => {
      const edits = reductionEdits(template);
      expect(Object.keys(edits).sort()).toEqual(Object.keys(PLANTS).filter((f) => (ONLY[f] ?? template) === template).sort());
      expect(wgslOf('softmax', [16, 20], 3, true)).toContain('load_x4(base + lane');
      expect(wgslOf('rmsnorm', [16, 20], 3, true)).toContain('load_w4(lane');
      for (const [fault, edit] of Object.entries(edits)) {
        for (const path of PLANTS[fault] ?? []) {
          const { shape, lanes, staticShapes } = PATHS[path];
          const wgsl = wgslOf(template, [...shape], lanes, staticShapes);
          expect(edit(wgsl), `${template}-${fault} on the ${path} kernel`).not.toBe(wgsl);
        }
      }
    });
  }

  test('[meta.mutant.plants] rmsnorm-f16-accumulator (conformance/faults/f16.ts) plants in the register cache\'s sum of squares and in the passes\' loop', () => {
    // Not the path in quads: an f16 kernel stays scalar ([codegen.vec4.1]).
    for (const path of (Object.keys(PATHS) as (keyof typeof PATHS)[]).filter((p) => p !== 'cached in quads, ragged, packed')) {
      const { shape, lanes, staticShapes } = PATHS[path];
      const wgsl = wgslOf('rmsnorm', [...shape], lanes, staticShapes);
      const edited = accumulatesInF16(wgsl);
      expect(edited, `rmsnorm-f16-accumulator on the ${path} kernel`).not.toBe(wgsl);
      expect(edited).not.toMatch(/let s = /);
    }
  });
});

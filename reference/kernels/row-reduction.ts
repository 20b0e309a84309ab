import { formatShape, WgfuseError } from '../../spec/index.js';
import type { TemplateContext } from '../registry/template.js';

/**
 * What the row-reduction templates (softmax, rmsnorm) share (spec/templates.md [templates.reduction.*]):
 * a tensor is viewed as rows × C (C its last extent); one workgroup of B lanes per row, each lane striding
 * over the row, partials combined by a tree in workgroup memory.
 */

/** -f32 max, exactly: the identity of max for any finite row. */
export const LOWEST_F32_WGSL = '-3.4028234663852886e38f';

/** The one block size B of a row-reduction config: lanes per row ([templates.reduction.config]). */
export function lanesOf(ctx: TemplateContext, template: string): number {
  const [lanes] = ctx.config.blockSizes;
  if (lanes === undefined || !Number.isInteger(lanes) || lanes < 1) {
    throw new WgfuseError('registry.config.1', `${template}: blockSizes ${formatShape(ctx.config.blockSizes)} must be one positive integer, the lanes per row`);
  }
  return lanes;
}

/**
 * A loop of each lane over its elements of the row: j = lane, lane + B, … while j < n. The mask is the
 * loop bound, so a lane past the row's end loads nothing and still reaches every barrier.
 */
export function rowLoop(lanes: number, marker: string, body: readonly string[]): string[] {
  return [`for (var j = lane; j < n; j += ${lanes}u) { // ${marker}`, ...body.map((l) => `  ${l}`), '}'];
}

/**
 * Combines lane partials `red[0..B)` into `red[0]` with `combine`, in log2 steps, each followed by a
 * barrier; unrolled, since B is a compile-time constant. The first barrier publishes every lane's partial.
 * Only lanes below the step combine, and only with partners below B, so B need not be a power of two.
 */
export function treeReduce(red: string, lanes: number, combine: (a: string, b: string) => string): string[] {
  const lines = ['workgroupBarrier();'];
  let step = 1;
  while (step * 2 < lanes) step *= 2;
  for (; step >= 1 && lanes > 1; step /= 2) {
    const guard = 2 * step > lanes ? `lane < ${step}u && lane + ${step}u < ${lanes}u` : `lane < ${step}u`;
    lines.push(`if (${guard}) { ${red}[lane] = ${combine(`${red}[lane]`, `${red}[lane + ${step}u]`)}; }`, 'workgroupBarrier();');
  }
  return lines;
}

/** The workgroup array of one partial per lane, and its size in bytes ([codegen.limits.5]). */
export function partials(red: string, lanes: number): { readonly declarations: string; readonly workgroupBytes: number } {
  return { declarations: `var<workgroup> ${red}: array<f32, ${lanes}>; // one partial per lane`, workgroupBytes: 4 * lanes };
}


import { ELEMENTWISE_ADD } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';

/**
 * The seed kernel, `out = x + y` (spec/kernels/elementwise-add.ts), over the tensor's elements in
 * row-major order: one invocation per element, a flat index (x and y have the output's shape, so nothing
 * broadcasts). A config's blocks [BY, BX] are BY·BX lanes; a workgroup packs as many whole blocks as the
 * device's streaming lanes hold (16 blocks of [4, 4] in 256 lanes), since a workgroup's launch costs the
 * same whatever its size ([templates.add.config]). A block past the lanes is one [BX, BY] workgroup,
 * which the limits check then refuses or admits ([codegen.limits.1]).
 */
export const elementwiseAdd: KernelTemplate = {
  ...ELEMENTWISE_ADD,
  emit(ctx: TemplateContext): TemplateCode {
    const [by = 1, bx = 1] = ctx.config.blockSizes;
    const block = by * bx;
    const packed = block <= ctx.lanes;
    const lanes = packed ? block * Math.floor(ctx.lanes / block) : block;
    const n = ctx.outShape.reduce((a, b) => a * b, 1);
    const [loadX, loadY] = ctx.loadHooks;
    return {
      workgroupSize: packed ? [lanes, 1, 1] : [bx, by, 1],
      tiles: Math.ceil(n / lanes),
      body: [
        packed ? `let i = tile * ${lanes}u + lid.x; // ${lanes / block} block(s) of [${by}, ${bx}]` : `let i = tile * ${lanes}u + lid.y * ${bx}u + lid.x;`,
        `if (i >= ${ctx.size(n)}) { return; } // bounds guard: ragged tail`,
        `${ctx.storeHook}(i, ${loadX}(i) + ${loadY}(i));`,
      ].join('\n'),
    };
  },
};

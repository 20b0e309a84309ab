import { ELEMENTWISE_ADD } from '../../spec/index.js';
import type { KernelTemplate, TemplateCode, TemplateContext } from '../registry/template.js';

/**
 * The seed kernel, `out = x + y` (spec/kernels/elementwise-add.ts). The tensor is viewed as rows × cols
 * (cols = last extent) and tiled by blockSizes [BY, BX]; one invocation per element.
 */
export const elementwiseAdd: KernelTemplate = {
  ...ELEMENTWISE_ADD,
  emit(ctx: TemplateContext): TemplateCode {
    const [by = 1, bx = 1] = ctx.config.blockSizes;
    const cols = ctx.outShape[ctx.outShape.length - 1] ?? 1;
    const rows = ctx.outShape.slice(0, -1).reduce((a, b) => a * b, 1);
    const tilesX = Math.ceil(cols / bx);
    const tilesY = Math.ceil(rows / by);
    const [loadX, loadY] = ctx.loadHooks;
    return {
      workgroupSize: [bx, by, 1],
      tiles: tilesX * tilesY,
      body: [
        `let row = (tile / ${ctx.size(tilesX)}) * ${by}u + lid.y;`,
        `let col = (tile % ${ctx.size(tilesX)}) * ${bx}u + lid.x;`,
        `if (row >= ${ctx.size(rows)} || col >= ${ctx.size(cols)}) { return; } // bounds guard: ragged tiles`,
        `let i = row * ${ctx.size(cols)} + col;`,
        `${ctx.storeHook}(i, ${loadX}(i) + ${loadY}(i));`,
      ].join('\n'),
    };
  },
};

import { ELEMENTWISE_ADD } from '../../spec/index.js';
import { quadSteps, quadsPerLane } from '../codegen/vector.js';
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
  vectorizes: true,
  // [registry.config.4]: 128 lanes, the compatibility level's limit; a core device packs two blocks into 256.
  tuned: { configs: { default: { blockSizes: [4, 32] } }, picker: () => 'default' },
  emit(ctx: TemplateContext): TemplateCode {
    const [by = 1, bx = 1] = ctx.config.blockSizes;
    const block = by * bx;
    const packed = block <= ctx.lanes;
    const lanes = packed ? block * Math.floor(ctx.lanes / block) : block;
    const n = ctx.outShape.reduce((a, b) => a * b, 1);
    const [loadX, loadY] = ctx.loadHooks;
    const lane = packed ? 'lid.x' : `lid.y * ${bx}u + lid.x`;
    const workgroupSize: [number, number, number] = packed ? [lanes, 1, 1] : [bx, by, 1];
    if (ctx.vector !== undefined) {
      // [codegen.vec4.1], [codegen.vec4.2]: U quads per invocation, lanes apart, then the scalar tail.
      const { quads, tail, loadHooks: [x4, y4] } = ctx.vector;
      const u = quadsPerLane(ctx.vector);
      const body = [
        `let first = tile * ${lanes * u}u + ${lane}; // ${lanes / block} block(s) of [${by}, ${bx}], ${u} quad(s) of 4 elements a lane`,
        ...quadSteps('first', u, lanes, ctx.size(quads), tail === 0 ? undefined : ctx.size(tail), (i) => `${ctx.vector?.storeHook}(${i}, ${x4}(${i}) + ${y4}(${i}));`, (t) => `${ctx.storeHook}(${t}, ${loadX}(${t}) + ${loadY}(${t}));`),
      ];
      return { workgroupSize, tiles: Math.ceil((quads + tail) / (lanes * u)), body: body.join('\n') };
    }
    return {
      workgroupSize,
      tiles: Math.ceil(n / lanes),
      body: [
        `let i = tile * ${lanes}u + ${lane}; // ${lanes / block} block(s) of [${by}, ${bx}]`,
        `if (i >= ${ctx.size(n)}) { return; } // bounds guard: ragged tail`,
        `${ctx.storeHook}(i, ${loadX}(i) + ${loadY}(i));`,
      ].join('\n'),
    };
  },
};

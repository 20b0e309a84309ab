import { formatShape, sameShape } from '../ir/broadcast.js';
import { WgfuseError } from '../ir/errors.js';
import type { Shape } from '../ir/types.js';
import type { KernelSemantics } from './semantics.js';

/** `out = x + y` over N-d tensors of one shape ([templates.add.1]). Configs give 2 block sizes. */
export const ELEMENTWISE_ADD: KernelSemantics = {
  id: 'elementwise_add',
  arity: 2,
  argNames: ['x', 'y'],
  dtypes: ['f32', 'f16'],
  ranks: [1, 6],
  blockRank: 2,
  outputShape(argShapes: readonly Shape[], subject: string): Shape {
    const [x, y] = argShapes;
    if (x === undefined || y === undefined || !sameShape(x, y)) {
      throw new WgfuseError(
        'registry.call.shape',
        `${subject}: elementwise_add needs x and y of one shape, got ${formatShape(x ?? [])} and ${formatShape(y ?? [])}. ` +
          'hint: broadcast explicitly with an elementwise op before the call',
      );
    }
    return x;
  },
  evaluate(args, _argShapes, _outShape, index) {
    return (args[0]?.[index] ?? NaN) + (args[1]?.[index] ?? NaN);
  },
};

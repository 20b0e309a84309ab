import { GraphBuilder, WgfuseError } from '../../spec/index.js';
import type { DType, Graph, Shape } from '../../spec/index.js';
import { Tensor } from './tensor.js';

export type TraceOutput = Tensor | readonly Tensor[];

export interface InputSpec {
  readonly name: string;
  readonly shape: Shape;
  /** Default f32. */
  readonly dtype?: DType;
}

/** An input in the record form: its shape (f32), or its shape and dtype. */
export type InputDecl = Shape | { readonly shape: Shape; readonly dtype: DType };

/**
 * Runs `fn` once on proxy tensors and returns the recorded graph ([trace.graph.1]). Inputs are given in
 * order as `{name, shape, dtype?}` or as a record of name → shape (f32) or `{shape, dtype}`.
 */
export function trace(
  fn: (...inputs: Tensor[]) => TraceOutput,
  inputs: readonly InputSpec[] | Readonly<Record<string, InputDecl>>,
): Graph {
  const specs: readonly InputSpec[] = Array.isArray(inputs)
    ? (inputs as readonly InputSpec[])
    : Object.entries(inputs as Readonly<Record<string, InputDecl>>).map(([name, d]) => ('shape' in d ? { name, shape: d.shape, dtype: d.dtype } : { name, shape: d }));
  // fn.length counts the parameters before any default or rest: each needs an input.
  if (fn.length > specs.length) {
    throw new WgfuseError('trace.inputs.1', `the traced function takes ${fn.length} tensor(s), but ${specs.length} input(s) are declared (${specs.map((s) => s.name).join(', ') || 'none'}). hint: declare one input per parameter`);
  }
  const builder = new GraphBuilder();
  const proxies = specs.map((s) => new Tensor(builder, builder.input(s.name, s.shape, s.dtype ?? 'f32')));
  const result: unknown = fn(...proxies);
  const outputs: unknown[] = Array.isArray(result) ? result : [result];
  const ids = outputs.map((out, k) => {
    if (!(out instanceof Tensor) || out.builder !== builder) {
      throw new WgfuseError('trace.output.1', `output ${k}: the traced function returned ${describe(out)}, not a tensor of this trace`);
    }
    return out.id;
  });
  return builder.build(ids);
}

function describe(value: unknown): string {
  if (value instanceof Promise) return 'a Promise (traced functions must be synchronous)';
  return value === null ? 'null' : typeof value;
}

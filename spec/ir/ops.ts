import { f16round } from '../f16.js';
import type { BinaryOp, DType, OpName, UnaryOp } from './types.js';

/**
 * The elementwise op catalog. `eval` is the normative semantics (spec/ir.md [ir.op.*]): computed in
 * f64 on f32 inputs; the interpreter rounds the result to the node's dtype after every op.
 */
export interface OpInfo {
  readonly name: OpName;
  readonly arity: 1 | 2;
  readonly eval: (a: number, b: number) => number;
  /** Inputs outside this set make the result indeterminate on a GPU (spec/numerics.md). */
  readonly domain: string;
  /** A cast's dtype ([ir.dtype.2]); every other op's result has its operands' dtype. */
  readonly result?: DType;
}

const unary = (name: UnaryOp, f: (a: number) => number, domain = 'all finite x', result?: DType): OpInfo => ({
  name,
  arity: 1,
  eval: (a) => f(a),
  domain,
  ...(result === undefined ? {} : { result }),
});
const binary = (name: BinaryOp, f: (a: number, b: number) => number, domain = 'all finite a, b'): OpInfo => ({
  name,
  arity: 2,
  eval: f,
  domain,
});

export const OPS: Readonly<Record<OpName, OpInfo>> = {
  neg: unary('neg', (a) => -a),
  abs: unary('abs', Math.abs),
  relu: unary('relu', (a) => (a > 0 ? a : 0)),
  exp: unary('exp', Math.exp, 'x with exp(x) finite in f32 (x < 88)'),
  log: unary('log', Math.log, 'x > 0'),
  sqrt: unary('sqrt', Math.sqrt, 'x >= 0'),
  tanh: unary('tanh', Math.tanh),
  sigmoid: unary('sigmoid', (a) => 1 / (1 + Math.exp(-a))),
  // Rounding to f16 is the interpreter's one conforming choice (nearest even); WGSL allows either neighbour.
  cast_f16: unary('cast_f16', f16round, '|x| <= 65504 (the largest f16)', 'f16'),
  cast_f32: unary('cast_f32', (a) => a, 'all finite x', 'f32'),
  add: binary('add', (a, b) => a + b),
  sub: binary('sub', (a, b) => a - b),
  mul: binary('mul', (a, b) => a * b),
  div: binary('div', (a, b) => a / b, 'b != 0, |b| in [2^-126, 2^126]'),
  maximum: binary('maximum', Math.max),
  minimum: binary('minimum', Math.min),
};

export const OP_NAMES = Object.keys(OPS) as OpName[];
/** The casts ([ir.dtype.2]): the ops that change a value's dtype. */
export const CASTS: readonly UnaryOp[] = OP_NAMES.filter((o) => OPS[o].result !== undefined) as UnaryOp[];
/** Unary ops that keep their operand's dtype: what a chain of one dtype draws from. */
export const UNARY_OPS = OP_NAMES.filter((o) => OPS[o].arity === 1 && OPS[o].result === undefined) as UnaryOp[];
export const BINARY_OPS = OP_NAMES.filter((o) => OPS[o].arity === 2) as BinaryOp[];

/** The dtype of `op`'s result on operands of dtype `operand`. */
export function resultDtype(op: OpName, operand: DType): DType {
  return OPS[op].result ?? operand;
}

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}

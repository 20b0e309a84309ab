import type { BinaryOp, DType, OpName, Shape, UnaryOp } from '../../spec/ir/index.js';
import type { Tensor } from '../reference-door.js';
import { isBinaryStep, sideShape } from './chain.js';
import type { Broadcast, Chain } from './chain.js';
import { bounded, meets, opInterval, ORDINARY } from './interval.js';
import type { Interval, ValueSpace } from './interval.js';

/**
 * Applies generated chains on traced tensors while tracking each value's range, and inserts a guard
 * wherever the next op would leave its domain or overflow ([gen.domain.1], [gen.range.1]). Guards are
 * real ops in the graph and are logged, so a printed case says what was added and why.
 */

/** A traced value (or a constant) with its conservative range and its printed form. */
export interface Value {
  readonly t: Tensor | number;
  readonly range: Interval;
  readonly text: string;
}

/** One inserted guard: where, before which op, what was inserted and why. */
export interface Guard {
  readonly where: string;
  readonly op: OpName;
  readonly inserted: string;
  readonly reason: string;
}

/** A side tensor a chain reads: a graph input after x and y. */
export interface SideInput {
  readonly name: string;
  readonly shape: Shape;
  readonly range: Interval;
  readonly broadcast: Broadcast;
  /** Default f32; every side tensor of a mixed-precision case is f16 ([gen.f16.1]). */
  readonly dtype?: DType;
}

/** The side inputs of `chains`, in the order their steps read them; names continue from `firstIndex`. */
export function planSides(chains: readonly Chain[], shape: Shape, firstIndex = 0): SideInput[][] {
  let next = firstIndex;
  return chains.map((chain) =>
    chain.flatMap((step) =>
      isBinaryStep(step) && step.operand.kind === 'tensor'
        ? [{ name: `s${next++}`, shape: sideShape(step.operand.broadcast, shape), range: step.operand.range, broadcast: step.operand.broadcast }]
        : [],
    ),
  );
}

/** Splits the side values (graph inputs after x and y) into one list per chain, as planSides laid them out. */
export function splitSides<T>(values: readonly T[], plan: readonly (readonly SideInput[])[]): T[][] {
  const lists: T[][] = [];
  let start = 0;
  for (const chainSides of plan) {
    lists.push(values.slice(start, start + chainSides.length));
    start += chainSides.length;
  }
  return lists;
}

export function constant(value: number): Value {
  const v = Math.fround(value);
  return { t: v, range: [v, v], text: shortestF32(v) };
}

/** The shortest decimal that rounds to the f32 `v` (0.1, not 0.10000000149011612), for descriptions. */
export function shortestF32(v: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(v.toPrecision(digits)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(v);
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)));
const fmtRange = ([lo, hi]: Interval): string => `[${fmt(lo)}, ${fmt(hi)}]`;

function unaryRaw(op: UnaryOp, v: Value): Value {
  if (typeof v.t === 'number') throw new Error(`[gen.chain.2] ${op}(${v.text}): unary steps apply to tensors only`);
  return { t: v.t.unary(op), range: opInterval(op, v.range), text: `${op}(${v.text})` };
}

function binaryRaw(op: BinaryOp, a: Value, b: Value): Value {
  const range = opInterval(op, a.range, b.range);
  const text = `${op}(${a.text}, ${b.text})`;
  if (typeof a.t !== 'number') return { t: a.t.binary(op, b.t), range, text };
  if (typeof b.t === 'number') throw new Error(`[gen.chain.2] ${text}: an op of two constants is not a tensor`);
  // A constant on the left becomes a 0-d const node of the same trace, of the tensor's dtype.
  const left = b.t.derive(b.t.builder.constant(a.t, b.t.dtype));
  return { t: left.binary(op, b.t), range, text };
}

/**
 * `add(abs(v), c)`: maps any range to one ≥ c, keeping the data's variation. c is the space's guard
 * floor: 0.5 in the ordinary space (twice its margin), the margin itself in the wide one, so arguments
 * come just inside the edge.
 */
function awayFromZero(v: Value, guards: Guard[], where: string, op: OpName, reason: string, space: ValueSpace, floor = space.guardFloor): Value {
  const c = constant(floor);
  guards.push({ where, op, inserted: `add(abs(·), ${c.text})`, reason });
  return binaryRaw('add', unaryRaw('abs', v), c);
}

/** `tanh(v)`: maps any range into [-1, 1]; used where the next op would pass the space's limit. */
function squash(v: Value, guards: Guard[], where: string, op: OpName, reason: string): Value {
  guards.push({ where, op, inserted: 'tanh(·)', reason });
  return unaryRaw('tanh', v);
}

/** Applies a unary op, guarding its argument first when the op's domain needs it. */
export function applyUnary(op: UnaryOp, v: Value, guards: Guard[], where: string, space: ValueSpace = ORDINARY): Value {
  let arg = v;
  const [lo, hi] = arg.range;
  if ((op === 'log' || op === 'sqrt') && lo < space.guardBelow) {
    arg = awayFromZero(arg, guards, where, op, `argument range ${fmtRange(arg.range)} is not >= ${fmt(space.guardBelow)}`, space);
  } else if (op === 'exp' && hi > space.expMax) {
    guards.push({ where, op, inserted: `minimum(·, ${space.expMax})`, reason: `argument range ${fmtRange(arg.range)} passes ${space.expMax}` });
    arg = binaryRaw('minimum', arg, constant(space.expMax));
  } else if (op === 'sigmoid' && lo < space.sigmoidMin) {
    guards.push({ where, op, inserted: `maximum(·, ${space.sigmoidMin})`, reason: `argument range ${fmtRange(arg.range)} goes below ${space.sigmoidMin}` });
    arg = binaryRaw('maximum', arg, constant(space.sigmoidMin));
  }
  if (!bounded(opInterval(op, arg.range), space.limit)) {
    arg = squash(arg, guards, where, op, `result range ${fmtRange(opInterval(op, arg.range))} passes the value limit`);
  }
  return unaryRaw(op, arg);
}

/**
 * Applies `a op b`, guarding tensor operands only (constants are safe by construction). A divisor
 * whose range comes within the space's margin of zero (0.25, ordinarily) is moved away from it; a result
 * that would pass the space's limit gets its larger tensor operand squashed.
 */
export function applyBinary(op: BinaryOp, a: Value, b: Value, guards: Guard[], where: string, space: ValueSpace = ORDINARY): Value {
  let [left, right] = [a, b];
  // A constant numerator c bounds the quotient only through the divisor: it keeps |divisor| ≥ 4|c|/limit too.
  const numeratorFloor = op === 'div' && typeof left.t === 'number' ? (4 * Math.abs(left.t)) / space.limit : 0;
  const m = Math.max(space.guardBelow, numeratorFloor);
  if (op === 'div' && meets(right.range, -m, m) && typeof right.t !== 'number') {
    right = awayFromZero(right, guards, where, op, `divisor range ${fmtRange(right.range)} meets [-${fmt(m)}, ${fmt(m)}]`, space, Math.max(space.guardFloor, numeratorFloor));
  } else if (op === 'div' && meets(right.range, -space.margin, space.margin)) {
    throw new Error(`[gen.domain.1] ${where}: constant divisor ${right.text} is within ${fmt(space.margin)} of zero`);
  }
  const magnitude = (v: Value): number => Math.max(Math.abs(v.range[0]), Math.abs(v.range[1]));
  for (let tries = 0; tries < 2 && !bounded(opInterval(op, left.range, right.range), space.limit); tries++) {
    const reason = `result range ${fmtRange(opInterval(op, left.range, right.range))} passes the value limit`;
    // Squash the larger tensor operand; a squashed divisor would meet zero, so a divisor is never squashed.
    const squashLeft = typeof right.t === 'number' || op === 'div' || (typeof left.t !== 'number' && magnitude(left) >= magnitude(right));
    if (squashLeft) left = squash(left, guards, where, op, reason);
    else right = squash(right, guards, where, op, reason);
  }
  const result = binaryRaw(op, left, right);
  if (!bounded(result.range, space.limit)) throw new Error(`[gen.range.1] ${where}: ${result.text} has range ${fmtRange(result.range)} even after guards`);
  return result;
}

/**
 * Guards the two inputs of a kernel that adds them (the add kernel) so that its output stays within
 * the space's limit: the larger is squashed, as applyBinary would for an add op.
 */
export function guardSum(a: Value, b: Value, guards: Guard[], where: string, space: ValueSpace = ORDINARY): [Value, Value] {
  let [x, y] = [a, b];
  const magnitude = (v: Value): number => Math.max(Math.abs(v.range[0]), Math.abs(v.range[1]));
  for (let tries = 0; tries < 2 && !bounded(opInterval('add', x.range, y.range), space.limit); tries++) {
    const reason = `result range ${fmtRange(opInterval('add', x.range, y.range))} passes the value limit`;
    if (magnitude(x) >= magnitude(y)) x = squash(x, guards, where, 'add', reason);
    else y = squash(y, guards, where, 'add', reason);
  }
  return [x, y];
}

/** `v` as `dtype`: an explicit cast op ([ir.dtype.2]), or `v` when it already is one (or is a constant). */
export function castValue(v: Value, dtype: DType): Value {
  if (typeof v.t === 'number' || v.t.dtype === dtype) return v;
  const op = dtype === 'f16' ? 'cast_f16' : 'cast_f32';
  return { t: v.t.cast(dtype), range: opInterval(op, v.range), text: `${op}(${v.text})` };
}

/**
 * Applies `chain` to `start`. `sides` are the chain's side tensors (see planSides) as values, in order.
 * `where` names the chain in guard records, e.g. 'prologue x'. `switchAt` ([gen.f16.1]): before that
 * step (the chain's length: after the last) the value is cast to the other dtype; a side tensor of
 * another dtype than the value is cast where it is read.
 */
export function applyChain(start: Value, chain: Chain, sides: readonly Value[], guards: Guard[], where: string, space: ValueSpace = ORDINARY, switchAt: number | null = null): Value {
  let v = start;
  let nextSide = 0;
  const switchHere = (): void => {
    if (typeof v.t !== 'number') v = castValue(v, v.t.dtype === 'f16' ? 'f32' : 'f16');
  };
  chain.forEach((step, i) => {
    if (i === switchAt) switchHere();
    const at = `${where} step ${i}`;
    if (!isBinaryStep(step)) {
      v = applyUnary(step.op, v, guards, at, space);
      return;
    }
    const side = step.operand.kind === 'const' ? constant(step.operand.value) : sides[nextSide++];
    if (side === undefined) throw new Error(`[gen.chain.2] ${at}: chain reads more side tensors than were planned`);
    const operand = typeof v.t === 'number' ? side : castValue(side, v.t.dtype);
    v = step.swap ? applyBinary(step.op, operand, v, guards, at, space) : applyBinary(step.op, v, operand, guards, at, space);
  });
  if (switchAt === chain.length) switchHere();
  return v;
}

/** One line per guard, for printing a case. */
export function formatGuards(guards: readonly Guard[]): string {
  return guards.map((g) => `${g.where} (${g.op}): ${g.reason}; inserted ${g.inserted}`).join('\n');
}

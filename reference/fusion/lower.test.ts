import { describe, expect, test } from 'vitest';
import { createRegistry, elementwiseAdd, lowerGraph, trace, TEMPLATES } from '../index.js';
import type { Schedule, Tensor } from '../index.js';

// The reference's schedule for graphs the named patterns and the random chains do not reach, on the CPU:
// written for the mutation campaign (conformance/mutation-survivors.md). Each test names the schedule it
// expects: kernel roots, the call spliced into each, and where each inlined node is computed.

const seedAdd = () => createRegistry().register('add', { template: elementwiseAdd, configs: { default: { blockSizes: [4, 4] } } });

/** Each kernel as `root<-call: node@section ...`, in launch order. */
const plan = (s: Schedule): string[] =>
  s.kernels.map((k) => `${k.root}${k.call === undefined ? '' : `<-${k.call}`}:${k.inlined.map((i) => ` ${i.node}@${i.section.part === 'body' ? 'body' : `p${i.section.arg}`}`).join('')}`);

describe('lowering, on the CPU', () => {
  test('[fusion.schedule.2] a dead chain of two ops computes nothing: its first op is not materialized for its dead user', () => {
    // %0 x, %1 const 2, %2 x*2, %3 exp (dead), %4 const 1, %5 x+1 (the output).
    const g = trace((x: Tensor) => {
      x.mul(2).exp();
      return x.add(1);
    }, { x: [4, 4] });
    expect(plan(lowerGraph(g, TEMPLATES))).toEqual(['5: 5@body']);
  });

  test('[fusion.materialize.1] a node read by two prologues of one call is materialized, not computed in one of them', () => {
    const add = seedAdd();
    // %0 x, %1 const 2, %2 t = x*2, %3 add(t, t), the output.
    const g = trace((x: Tensor) => {
      const t = x.mul(2);
      return add(t, t);
    }, { x: [4, 4] });
    expect(plan(lowerGraph(g, TEMPLATES))).toEqual(['2: 2@body', '3<-3:']);
  });

  test('[fusion.materialize.1] a node read in two kernels is materialized, not computed in one of them', () => {
    // %0 x, %1 const 2, %2 t = x*2, %3 neg(t), %4 exp(t): two outputs, two kernels, both reading t.
    const g = trace((x: Tensor) => {
      const t = x.mul(2);
      return [t.neg(), t.exp()];
    }, { x: [4, 4] });
    expect(plan(lowerGraph(g, TEMPLATES))).toEqual(['2: 2@body', '3: 3@body', '4: 4@body']);
  });

  test('[fusion.materialize.1] a node read by an op and by a transpose in one kernel is materialized for the transpose', () => {
    // %0 x, %1 const 2, %2 t = x*2, %3 neg(t), %4 t^T, %5 neg(t) + t^T, the output.
    const g = trace((x: Tensor) => {
      const t = x.mul(2);
      return t.neg().add(t.transpose());
    }, { x: [3, 3] });
    expect(plan(lowerGraph(g, TEMPLATES))).toEqual(['2: 2@body', '5: 3@body 4@body 5@body']);
  });

  test('[fusion.materialize.4] two calls whose outputs meet in one epilogue: the later call is spliced, the other is a kernel of its own', () => {
    const add = seedAdd();
    // %0 a, %1 b, %2 c, %3 add(a, b), %4 add(b, c), %5 %3 + %4, %6 relu, the output.
    const g = trace((a: Tensor, b: Tensor, c: Tensor) => add(a, b).add(add(b, c)).relu(), { a: [4, 4], b: [4, 4], c: [4, 4] });
    expect(plan(lowerGraph(g, TEMPLATES))).toEqual(['3<-3:', '6<-4: 5@body 6@body']);
  });
});

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isF16 } from '../../spec/f16.js';
import { interpretAll } from '../../spec/interpreter.js';
import { trace } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { buildFusionCase } from '../generators/fusion-case.js';
import { F16_SEED_CASE } from '../generators/f16-case.js';
import { f16Outputs, offF16Grid, onF16Grid } from '../oracle/f16-grid.js';
import { RANDOM_PROPERTIES } from '../properties/random-properties.js';
import { envVar } from '../harness/runtime.js';

// Mixed-precision cases and the f16 values check, on the CPU: what the generators promise of f16 cases
// ([gen.f16.1]) and which outputs must hold f16 values ([numerics.f16.3]).

const envSeed = envVar('WGFUSE_SEED');
const params = (numRuns: number): fc.Parameters<unknown> => (envSeed === undefined || envSeed === '' ? { numRuns } : { numRuns, seed: Number(envSeed) });

describe('mixed-precision cases', () => {
  test('[gen.f16.1] inputs are f16 data in range (no f16 subnormal), every value stays within ±30000, casts follow the plan, and the kernel runs in the planned dtype', () => {
    const both = fc.oneof(RANDOM_PROPERTIES.f16.cases(), RANDOM_PROPERTIES['f16-reduction'].cases());
    const seen = { f16Call: 0, f32Call: 0, casts: 0, widened: 0 };
    fc.assert(
      fc.property(both, ({ value, build }) => {
        const b = build();
        const plan = (value as { f16: { call: string; output: string } }).f16;
        b.graph.inputs.forEach((id, k) => {
          expect(b.graph.nodes[id]?.dtype).toBe('f16');
          const bad = (b.inputs[k] ?? new Float32Array(0)).find((v) => !isF16(v) || (v !== 0 && Math.abs(v) < 2 ** -14));
          expect(bad, `input ${k}: ${bad} is not an f16 normal or zero`).toBeUndefined();
        });
        const largest = Math.max(...interpretAll(b.graph, b.inputs).map((values) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
        expect(largest, b.description).toBeLessThanOrEqual(3e4);
        const call = b.graph.nodes.find((n) => n.kind === 'call');
        expect(call?.dtype).toBe(plan.call);
        seen[plan.call === 'f16' ? 'f16Call' : 'f32Call'] += 1;
        const out = b.graph.nodes[b.graph.outputs[0] as number];
        expect(out?.dtype).toBe(plan.output === 'f16' ? 'f16' : 'f32');
        if (plan.output === 'f16-widened') {
          expect(out).toMatchObject({ kind: 'op', op: 'cast_f32' });
          seen.widened += 1;
        }
        seen.casts += b.graph.nodes.filter((n) => n.kind === 'op' && n.op.startsWith('cast_')).length;
      }),
      params(100),
    );
    expect(Math.min(seen.f16Call, seen.f32Call, seen.widened, seen.casts)).toBeGreaterThan(0);
  });

  test('[gen.f16.1] the origin test\'s case in f16 is relu(add(x*2, y+1)) on f16 tensors, with f16 constants and no cast', () => {
    const b = buildFusionCase(F16_SEED_CASE);
    expect(b.description).toBe('relu(add(mul(x, 2), add(y, 1)))');
    expect(b.graph.nodes.every((n) => n.dtype === 'f16')).toBe(true);
  });
});

describe('which outputs hold f16 values', () => {
  test('[numerics.f16.3] f16 outputs, cast_f16 and exact ops of f16 values must be f16 values; an f16 op inside a chain need not be, even where it is also stored', () => {
    const g = trace(
      (x: Tensor) => {
        const inner = x.mul(3); // f16 op: may stay f32 inside the kernel
        return [inner.float(), inner.float().half().float().abs(), inner, inner.float().exp()];
      },
      { x: { shape: [2], dtype: 'f16' } },
    );
    expect(f16Outputs(g)).toEqual([false, true, true, false]);
    const grid = onF16Grid(g);
    expect(grid[0]).toBe(true); // an f16 input
    const ok = [Float32Array.from([0.30004, 1]), Float32Array.from([0.2998046875, 1]), Float32Array.from([0.2998046875, 3]), Float32Array.from([1.3, 2])];
    expect(offF16Grid(g, ok)).toBeUndefined();
    const elided = [ok[0] as Float32Array, Float32Array.from([0.30004, 1]), ok[2] as Float32Array, ok[3] as Float32Array];
    expect(offF16Grid(g, elided)).toEqual([1, 0, Math.fround(0.30004)]);
    const unrounded = [ok[0] as Float32Array, ok[1] as Float32Array, Float32Array.from([0.2998046875, 3.0001]), ok[3] as Float32Array];
    expect(offF16Grid(g, unrounded)).toEqual([2, 1, Math.fround(3.0001)]);
  });
});

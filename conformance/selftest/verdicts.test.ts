import { describe, expect, test } from 'vitest';
import type { Node } from '../../spec/index.js';
import type { CompiledProgram, Implementation } from '../../spec/implementation.js';
import { createReferenceImplementation, fusedReference } from '../reference-door.js';
import { PATTERNS, patternCase } from '../generators/patterns.js';
import { failureOf } from './fixtures/failure.js';
import type { FusionPattern } from '../generators/patterns.js';
import { gate } from '../harness/gates.js';
import { ConformanceFailure } from '../properties/check.js';
import type { CaseUnderTest, Finding } from '../properties/check.js';
import { implementation as eagerPosing } from './fixtures/eager-as-implementation.js';
import { buildFusionCase, SEED_CASE } from '../generators/fusion-case.js';
import type { BuiltCase } from '../generators/built-case.js';
import { checkSecondShape, DYNAMIC } from '../properties/shape-change.js';

// Verdicts that hold whatever an implementation does to what it is given: every check judged on its own,
// inputs that must stay as written, a program run more than once, a graph it may not change.

const seed = PATTERNS[0] as FusionPattern;

const caseOf = (p: FusionPattern): CaseUnderTest => patternCase(p, 3);

const failure = failureOf;

const failedRules = (f: ConformanceFailure): string[] => [...new Set(f.findings.filter((x: Finding) => !x.ok).map((x) => x.rule))].sort();

/** `inner`, with `after` run on its device after each of its runs (extra encoder work: no dispatch). */
function withAfterRun(name: string, inner: Implementation, after: (device: GPUDevice, io: Parameters<CompiledProgram['run']>[0], run: number) => void): Implementation {
  return {
    name,
    compile: async (g, k, device) => {
      const program = await inner.compile(g, k, device);
      let runs = 0;
      return {
        ...program,
        wgsl: program.wgsl,
        run: async (io) => {
          await program.run(io);
          after(device, io, runs++);
        },
      };
    },
  };
}

/** Clears 4 bytes of a buffer at `offset`, as a stray write would. */
function clear(device: GPUDevice, buffer: GPUBuffer, offset: number): void {
  const encoder = device.createCommandEncoder();
  encoder.clearBuffer(buffer, offset, 4);
  device.queue.submit([encoder.finish()]);
}

describe('verdicts', () => {
  test('[suite.verdict.1] a case failing two checks reports both, with every other check\'s status', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    // Not fused (four kernels) and, besides, output 0's first element zeroed after every run.
    const twoFaults = withAfterRun('unfused and wrong', eagerPosing, (device, io) => clear(device, io.outputs[0] as GPUBuffer, 0));
    const f = await failure(twoFaults, { ...caseOf(seed), inputs: [new Float32Array(16).fill(1.5), new Float32Array(16).fill(0.25)] }, gpu);
    expect(failedRules(f)).toEqual(['fusion.count.1', 'numerics.fused-eager.1', 'numerics.oracle.1']);
    expect(f.message).toMatch(/FAIL \[fusion\.count\.1\] kernel count \(run 1[^\n]*\n {2}FAIL \[numerics\.oracle\.1\]/);
    expect(f.message).toMatch(/held: .*\[interface\.buffers\.2\] outputs written within bounds.*\[interface\.buffers\.4\] inputs unchanged/);
  });

  test('[interface.buffers.4] a program that writes an input, inside its tensor or past its end, fails', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const inside = withAfterRun('writes x', fusedReference, (device, io) => clear(device, io.inputs[0] as GPUBuffer, 8));
    expect(failedRules(await failure(inside, caseOf(seed), gpu))).toContain('interface.buffers.4');
    const past = withAfterRun('writes past x', fusedReference, (device, io) => clear(device, io.inputs[1] as GPUBuffer, 16 * 4));
    const f = await failure(past, caseOf(seed), gpu);
    expect(failedRules(f)).toEqual(['interface.buffers.4']);
    expect(f.message).toContain('writes past x wrote input 1 at element 16');
  });

  test('[interface.repeat.1] a program right only on its first run, or whose second run reads the first run\'s buffers, fails', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const once: Implementation = {
      name: 'runs once',
      compile: async (g, k, device) => {
        const program = await fusedReference.compile(g, k, device);
        let ran = false;
        return { ...program, wgsl: program.wgsl, run: async (io) => (ran ? undefined : ((ran = true), program.run(io))) };
      },
    };
    const f = await failure(once, caseOf(seed), gpu);
    // Its second run dispatches nothing and leaves the outputs as canary: both are findings of run 2.
    expect(failedRules(f)).toEqual(['fusion.count.1', 'interface.repeat.1', 'numerics.fused-eager.1', 'numerics.oracle.1']);
    expect(f.message).toMatch(/FAIL \[fusion\.count\.1\] kernel count \(run 2, other data of the same shape\)/);
    const stale: Implementation = {
      name: 'keeps its first inputs',
      compile: async (g, k, device) => {
        const program = await fusedReference.compile(g, k, device);
        let first: readonly GPUBuffer[] | undefined;
        return { ...program, wgsl: program.wgsl, run: (io) => program.run({ inputs: (first ??= io.inputs), outputs: io.outputs }) };
      },
    };
    const g = await failure(stale, caseOf(seed), gpu);
    expect(failedRules(g)).toContain('interface.repeat.1');
    expect(g.message).toMatch(/FAIL \[numerics\.oracle\.1\] numerics \(run 2, other data of the same shape\)/);
  });

  test('[interface.compile.4] an implementation cannot change the graph it is judged against', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const c = caseOf(seed);
    const relu = c.graph.nodes.findIndex((n) => n.kind === 'op' && n.op === 'relu');
    // Edits the graph it is handed, relu turned into neg: the copy is frozen, so the edit itself fails.
    const editsInPlace: Implementation = {
      name: 'edits its graph',
      compile: (g, k, device) => {
        (g.nodes as Node[])[relu] = { ...(g.nodes[relu] as Node & { kind: 'op' }), op: 'neg' };
        return fusedReference.compile(g, k, device);
      },
    };
    const f = await failure(editsInPlace, c, gpu);
    expect(f.rule).toBe('interface.compile.1');
    expect(f.message).toMatch(/failed: implementation 'edits its graph', stage compile: compile\(\) threw: TypeError: Cannot assign to read only property/);
    // Compiling an edited copy changes only its own program, which the oracle then judges wrong.
    const compilesAnEditedCopy: Implementation = {
      name: 'compiles an edited copy',
      compile: (g, k, device) => fusedReference.compile({ ...g, nodes: g.nodes.map((n, i) => (i === relu ? { ...(n as Node & { kind: 'op' }), op: 'neg' } : n)) }, k, device),
    };
    expect((await failure(compilesAnEditedCopy, c, gpu)).rule).toBe('numerics.oracle.1');
    expect(c.graph.nodes[relu]).toMatchObject({ kind: 'op', op: 'relu' });
  });

  test('[shapes.dynamic.2] pipelines built lazily in run() count as much as those built in compile()', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    // The reference, plus one fresh pipeline created in every run: never one program for every shape.
    const lazy: Implementation = {
      name: 'builds a pipeline in run',
      compile: async (g, k, device) => {
        const program = await fusedReference.compile(g, k, device);
        return {
          ...program,
          wgsl: program.wgsl,
          run: async (io) => {
            const code = `@compute @workgroup_size(1) fn main() { _ = ${Math.random()}f; }`;
            await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
            await program.run(io);
          },
        };
      },
    };
    const [a, b] = [[6, 7], [9, 5]].map((shape) => buildFusionCase({ ...SEED_CASE, shape }, DYNAMIC));
    const error: unknown = await checkSecondShape(lazy, a as BuiltCase, b as BuiltCase, gpu, 'two shapes').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConformanceFailure);
    expect((error as ConformanceFailure).message).toMatch(/\[shapes\.dynamic\.2\] builds a pipeline in run: two shapes under staticShapes: false created 1 new pipeline\(s\); expected none/);
  });

  test('[numerics.oracle.2] an eager reference outside the intervals is reported as the eager reference\'s finding', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const driftingEager = createReferenceImplementation({
      name: 'drifting eager',
      fuse: false,
      editSources: (sources) => sources.map((s) => ({ ...s, wgsl: s.wgsl.replace(/dst\[i\] = (.*);/, 'dst[i] = ($1) * 1.000244140625f;') })),
    });
    const c = { ...caseOf(seed), inputs: [new Float32Array(16).fill(1.5), new Float32Array(16).fill(0.25)] };
    const f = await failure(fusedReference, c, gpu, driftingEager);
    expect(failedRules(f)).toEqual(['numerics.fused-eager.1', 'numerics.oracle.2']);
    expect(f.message).toContain('eager reference disagrees with the CPU interpreter');
  });
});

import { describe, expect, test } from 'vitest';
import type { Shape } from '../../spec/index.js';
import { createRegistry, matmul, trace } from '../reference-door.js';
import type { Tensor } from '../reference-door.js';
import { graphInputs } from '../generators/built-case.js';
import { buildMatmulCase } from '../generators/matmul-case.js';
import type { MatmulCase } from '../generators/matmul-case.js';
import { buildReductionCase } from '../generators/reduction-case.js';
import type { ReductionCase } from '../generators/reduction-case.js';
import type { Chain } from '../generators/chain.js';
import { gate } from '../harness/gates.js';
import { checkCase, oneKernel } from '../properties/check.js';
import { implementationUnderTest } from '../properties/implementation-under-test.js';
import { countedCase, newStats } from '../properties/stats.js';

// spec/templates.md, judged on an executing adapter against the implementation under test: the tiled
// matmul at ragged extents under many configs, and a per-shape config picker. The random chains around
// every template are judged in fusion.test.ts; their oracle is checked in selftest/.

const impl = await implementationUnderTest();

describe(`kernel templates on a device: ${impl.name}`, () => {
  test('[templates.matmul.ragged] M, N, K of 1, primes and non-multiples of every block size, batched or not, are correct', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const stats = newStats();
    ctx.task.meta.wgfuse = stats;
    const shapes: [number | null, number, number, number][] = [[null, 1, 1, 1], [null, 1, 17, 1], [null, 13, 1, 7], [null, 7, 31, 13], [2, 5, 9, 3], [3, 17, 2, 29], [null, 33, 65, 2]];
    const configs: [number, number, number][] = [[1, 1, 1], [4, 4, 4], [3, 5, 7], [8, 16, 8], [1, 128, 2], [16, 8, 16]];
    for (const [batch, m, k, n] of shapes) {
      for (const blockSizes of configs) {
        const mc: MatmulCase = { batch, m, k, n, blockSizes, inputRanges: [[-2, 2], [-2, 2]], prologues: [[], []], epilogue: [], dataSeed: m * k + n, returnsKernelOutput: false, staticShapes: true };
        await countedCase(stats, checkCase(impl, oneKernel(buildMatmulCase(mc)), gpu, { execute: true }));
      }
    }
  });

  test('[templates.matmul.regtile] register-tiled configs (BM·BN past the lanes) are correct at ragged M, N, K, batched, with prologues and relu(a@b + bias) fused', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const stats = newStats();
    ctx.task.meta.wgfuse = stats;
    // relu(a·b + bias) with bias a row of C, and a prologue on each operand.
    const bias: Chain = [{ op: 'add', operand: { kind: 'tensor', broadcast: 'row', range: [-1, 1] }, swap: false }, { op: 'relu' }];
    const prologues: [Chain, Chain] = [[{ op: 'mul', operand: { kind: 'const', value: 2 }, swap: false }], [{ op: 'neg' }]];
    const shapes: [number | null, number, number, number][] = [[null, 1, 1, 1], [null, 130, 129, 7], [null, 130, 7, 129], [2, 67, 13, 33], [null, 5, 31, 131]];
    // Register-tiled at 128 lanes and at 256 (a core-level device takes [16,16,·] one output per invocation).
    const configs: [number, number, number][] = [[128, 128, 8], [64, 64, 8], [128, 64, 16], [64, 32, 8], [32, 32, 8], [16, 16, 4], [12, 12, 4], [3, 64, 8]];
    for (const [batch, m, k, n] of shapes) {
      for (const blockSizes of configs) {
        if (4 * blockSizes[2] * (blockSizes[0] + blockSizes[1]) > gpu.device.limits.maxComputeWorkgroupStorageSize) continue;
        const mc: MatmulCase = { batch, m, k, n, blockSizes, inputRanges: [[-2, 2], [-2, 2]], prologues, epilogue: bias, dataSeed: m * k + n, returnsKernelOutput: false, staticShapes: m !== 5 };
        await countedCase(stats, checkCase(impl, oneKernel(buildMatmulCase(mc)), gpu, { execute: true }));
      }
    }
  });

  test('[registry.config.2] calls whose picker chose by shape (small, tall, default) carry that config, and conform', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const stats = newStats();
    ctx.task.meta.wgfuse = stats;
    const registry = createRegistry();
    const configs = { small: { blockSizes: [4, 4, 4] }, tall: { blockSizes: [32, 2, 8] }, default: { blockSizes: [8, 16, 8] } };
    const mm = registry.register('mm', {
      template: matmul,
      configs,
      // vLLM-style keys from the call's shapes; undefined falls back to 'default'.
      configPicker: ([a, b]) => {
        const m = a?.shape.at(-2) ?? 1;
        const n = b?.shape.at(-1) ?? 1;
        if (m * n <= 64) return 'small';
        return m >= 4 * n ? 'tall' : undefined;
      },
    });
    const expected: [string, Shape, Shape][] = [['small', [6, 10], [10, 7]], ['tall', [70, 9], [9, 5]], ['default', [20, 30], [30, 19]]];
    for (const [key, a, b] of expected) {
      const graph = trace((x: Tensor, y: Tensor) => mm(x, y.mul(0.5)).tanh(), { a, b });
      const call = graph.nodes.find((node) => node.kind === 'call');
      expect(call?.kind === 'call' ? call.configKey : undefined).toBe(key);
      await countedCase(stats, checkCase(impl, { graph, kernels: registry.kernels, inputs: graphInputs(graph, 3), description: `mm picks '${key}'`, fusedKernels: 1, eagerKernels: 3 }, gpu, { execute: true }));
    }
  });

  test('[gen.large.1] named cases past 65535 workgroups: matmul with 66402 output tiles, softmax and rmsnorm with 70001 rows one per workgroup, each grid folded into 2-D with a ragged last row, and the same rows in blocks [2], packed ⌊lanes/2⌋ per workgroup ([templates.reduction.rows]), chains fused', async (ctx) => {
    const gpu = await gate(ctx, { execution: true });
    const stats = newStats();
    ctx.task.meta.wgfuse = stats;
    const relu: Chain = [{ op: 'relu' }];
    const half: Chain = [{ op: 'mul', operand: { kind: 'const', value: 0.5 }, swap: false }];
    // 2 batches of 153 × 217 tiles of 1×1: 66402 workgroups.
    const mc: MatmulCase = { batch: 2, m: 153, k: 3, n: 217, blockSizes: [1, 1, 2], inputRanges: [[-2, 2], [-2, 2]], prologues: [half, []], epilogue: relu, dataSeed: 5, returnsKernelOutput: false, staticShapes: true };
    // B of the device's streaming lanes, so one row per workgroup ([templates.reduction.rows]) and 70001 workgroups.
    const lanes = Math.min(256, gpu.device.limits.maxComputeInvocationsPerWorkgroup, gpu.device.limits.maxComputeWorkgroupSizeX);
    const row = (template: 'softmax' | 'rmsnorm', b = lanes): ReductionCase => ({ template, shape: [70001, 3], blockSizes: [b], inputRanges: [[-2, 2], [0.5, 2]], prologues: [half, []], epilogue: relu, dataSeed: 6, returnsKernelOutput: false, staticShapes: true });
    const packed = [buildReductionCase(row('softmax', 2)), buildReductionCase(row('rmsnorm', 2))];
    for (const built of [buildMatmulCase(mc), buildReductionCase(row('softmax')), buildReductionCase(row('rmsnorm')), ...packed]) {
      await countedCase(stats, checkCase(impl, oneKernel(built), gpu, { execute: true }));
    }
  });
});

/**
 * Capability gates (spec/capabilities.md [harness.gate.*]). A test states what it needs up front; when the
 * machine lacks it the test is skipped with a reason that names the missing thing and how to get it.
 * Under WGFUSE_REQUIRE_ADAPTER=1 a missing executing adapter is a failure instead, so CI on a machine
 * that should have one cannot pass by skipping everything.
 */
import { adapterLabel } from './device.js';
import type { Gpu } from './device.js';
import { executes, executionHint, formatAttempts, probeCapabilities } from './capabilities.js';
import type { Capabilities } from './capabilities.js';
import { envVar } from './runtime.js';
import { FOUND_ON, whereToGet } from './configuration.js';
import { recordGate } from './ledger.js';

export type LimitName = Exclude<keyof GPUSupportedLimits, '__brand'>;

export interface Needs {
  /** A device that executes kernels: tier software or hardware. */
  readonly execution?: boolean;
  /** Any device, the validation-only null backend included. Implied by every other need. */
  readonly device?: boolean;
  /** Features the device must have; the harness requests none, so only default features pass. */
  readonly feature?: GPUFeatureName | readonly GPUFeatureName[];
  /** [name, value]: a max* limit must be at least value, a min* (alignment) limit at most value. */
  readonly limit?: readonly [LimitName, number];
}

/** The part of vitest's TestContext a gate uses (vitest 4: `skip(note?: string): never`); `task` names the test in the ledger. */
export interface SkipContext {
  skip(note?: string): never;
  readonly task?: { readonly name: string; readonly file?: { readonly name: string } };
}

export interface UnmetNeed {
  /** The need that is not met, named as in the ledger ([harness.ledger.1]): `execution`, `feature shader-f16`, ... */
  readonly need: string;
  readonly reason: string;
  /** True when what is missing is an executing adapter, which WGFUSE_REQUIRE_ADAPTER=1 turns into a failure. */
  readonly adapterMissing: boolean;
}

export function adapterRequired(): boolean {
  return envVar('WGFUSE_REQUIRE_ADAPTER') === '1';
}

function featuresOf(needs: Needs): readonly GPUFeatureName[] {
  return needs.feature === undefined ? [] : typeof needs.feature === 'string' ? [needs.feature] : needs.feature;
}

/** The needs a gate checks, named as in the ledger; `device` when it asks for nothing more. */
export function needNames(needs: Needs): string[] {
  const names = [
    ...(needs.execution === true ? ['execution'] : []),
    ...featuresOf(needs).map((f) => `feature ${f}`),
    ...(needs.limit === undefined ? [] : [`limit ${needs.limit[0]} ${needs.limit[0].startsWith('min') ? '<=' : '>='} ${needs.limit[1]}`]),
  ];
  return names.length === 0 ? ['device'] : names;
}

/** Why `c` does not meet `needs`, or undefined when it does. Pure, so the gate's logic is testable without a GPU. */
export function unmetNeed(c: Capabilities, needs: Needs): UnmetNeed | undefined {
  const gpu = c.gpu;
  const first = needNames(needs)[0] ?? 'device';
  if (gpu === undefined) {
    return { need: first, reason: `no WebGPU adapter: tried ${formatAttempts(c.attempts)}; ${executionHint(c.attempts)}`, adapterMissing: true };
  }
  if (needs.execution === true && !executes(c.tier)) {
    return {
      need: 'execution',
      reason:
        `no executing WebGPU adapter: the device is tier ${c.tier} (${gpu.backend} backend), which runs no kernels; ` +
        `tried before it: ${formatAttempts(c.attempts)}; ${executionHint(c.attempts)}; or ${whereToGet(FOUND_ON['execution'] ?? [])}`,
      adapterMissing: true,
    };
  }
  if (gpu.unmetNeeds.length > 0) {
    return {
      need: 'declared needs',
      reason: `the implementation under test declares needs this adapter cannot meet: ${gpu.unmetNeeds.join('; ')}; run on an adapter that has them (npm run capabilities lists an adapter's features and limits)`,
      adapterMissing: false,
    };
  }
  for (const f of featuresOf(needs)) {
    if (gpu.device.features.has(f)) continue;
    const onAdapter = gpu.adapter.features.has(f)
      ? 'the adapter has it, but the implementation under test does not declare it (needs.features or needs.optionalFeatures)'
      : `adapter '${gpu.summary.description || adapterLabel(gpu.summary)}' (${gpu.backend}) does not support it; ${whereToGet(FOUND_ON[`feature ${f}`] ?? [])}`;
    return { need: `feature ${f}`, reason: `device does not have feature '${f}': ${onAdapter}`, adapterMissing: false };
  }
  if (needs.limit !== undefined) {
    const [name, wanted] = needs.limit;
    const have = gpu.device.limits[name];
    const atMost = name.startsWith('min');
    const need = needNames({ limit: needs.limit })[0] ?? name;
    if (have === undefined) return { need, reason: `device does not report limit ${name}`, adapterMissing: false };
    if (atMost ? have > wanted : have < wanted) {
      const adapterHas = gpu.adapter.limits[name];
      return {
        need,
        reason:
          `device limit ${name} is ${have}, the test needs ${atMost ? '<=' : '>='} ${wanted} ` +
          `(the adapter allows ${adapterHas}; the harness requests the limits the implementation under test declares in needs.limits, else the defaults); ` +
          `declare it in needs.limits, or ${whereToGet(FOUND_ON[need] ?? [])}`,
        adapterMissing: false,
      };
    }
  }
  return undefined;
}

/**
 * Call at the top of a test: returns the shared Gpu when `needs` are met, otherwise skips the test
 * with the reason, or throws it when an executing adapter is missing and WGFUSE_REQUIRE_ADAPTER=1.
 */
export async function gate(ctx: SkipContext, needs: Needs = { device: true }, capabilities?: Capabilities): Promise<Gpu> {
  // `capabilities` lets the harness's own tests play a machine they are not running on; such a play is
  // no configuration's decision, so it is not recorded in the ledger.
  const c = capabilities ?? (await probeCapabilities());
  const record = capabilities === undefined ? (need: string, outcome: 'ran' | 'skipped' | 'failed', reason?: string) => recordGate(c, testName(ctx), need, outcome, reason) : () => undefined;
  const unmet = unmetNeed(c, needs);
  if (unmet === undefined && c.gpu !== undefined) {
    for (const need of needNames(needs)) record(need, 'ran');
    return c.gpu;
  }
  const reason = unmet?.reason ?? 'no WebGPU device';
  if (adapterRequired() && (unmet?.adapterMissing ?? true)) {
    record(unmet?.need ?? 'device', 'failed', reason);
    throw new Error(`[harness.gate.2] WGFUSE_REQUIRE_ADAPTER=1: ${reason}`);
  }
  record(unmet?.need ?? 'device', 'skipped', reason);
  return ctx.skip(reason);
}

function testName(ctx: SkipContext): string {
  const task = ctx.task;
  return task === undefined ? '(unnamed test)' : task.file === undefined ? task.name : `${task.file.name} > ${task.name}`;
}

/**
 * A gate the harness cannot state as Needs (the adapter's loop cap, ...): runs the test when `unmetReason` is
 * undefined, else skips it with that reason; either way the decision on `need` goes to the ledger
 * ([harness.ledger.1]). The reason must name what is missing and how to get it ([harness.gate.1]).
 */
export async function gateOn(ctx: SkipContext, need: string, unmetReason: string | undefined): Promise<void> {
  const c = await probeCapabilities();
  if (unmetReason === undefined) return recordGate(c, testName(ctx), need, 'ran');
  recordGate(c, testName(ctx), need, 'skipped', unmetReason);
  return ctx.skip(unmetReason);
}

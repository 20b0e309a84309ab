import { fusedReference } from '../reference-door.js';
import type { Implementation, SpecPart } from '../../spec/implementation.js';
import { declareNeeds } from '../harness/device.js';
import { neededUnder, profileFromEnv } from '../harness/profile.js';
import { envVar, inNode } from '../harness/runtime.js';

function isImplementation(value: unknown): value is Implementation {
  return typeof value === 'object' && value !== null && typeof (value as { compile?: unknown }).compile === 'function' && typeof (value as { name?: unknown }).name === 'string';
}

// compile() calls of the implementation under test since the last take: a judging test that made none
// judged nothing, and the main job does not count it as the implementation's pass.
let calls = 0;

/** The compile() calls made since the last call of this function. */
export function takeImplementationCalls(): number {
  const n = calls;
  calls = 0;
  return n;
}

/** `impl`, with its compile() calls counted. */
function counted(impl: Implementation): Implementation {
  return {
    ...(impl.needs === undefined ? {} : { needs: impl.needs }),
    ...(impl.doesNotTakePartIn === undefined ? {} : { doesNotTakePartIn: impl.doesNotTakePartIn }),
    name: impl.name,
    compile: (graph, kernels, device) => {
      calls++;
      return impl.compile(graph, kernels, device);
    },
  };
}

let loaded: Promise<Implementation> | undefined;

/**
 * The implementation the suite judges: the module named by WGFUSE_IMPL (a path or package exporting
 * `implementation`, or `cmd:<command>` for one in another language), else the reference's fused pipeline
 * ([interface.plugin.1]).
 */
export function implementationUnderTest(): Promise<Implementation> {
  loaded ??= load().then((impl) => {
    // The device the judging tests get is opened with what this implementation declares it needs, unless the
    // run holds it to the adapter's defaults ([interface.needs.3]).
    declareNeeds(neededUnder(profileFromEnv(), impl.needs));
    return counted(impl);
  });
  return loaded;
}

/** Skips a judging test of a part of the spec the implementation declares it does not take part in ([interface.needs.2]). */
export function requirePart(ctx: { skip(note?: string): never }, impl: Implementation, part: SpecPart): void {
  if (impl.doesNotTakePartIn?.includes(part)) ctx.skip(`not applicable: ${impl.name} declares it does not take part in ${part}`);
}

/** Forgets the loaded implementation, so the next call reads WGFUSE_IMPL again (for the plugin's own tests). */
export function forgetImplementationUnderTest(): void {
  loaded = undefined;
}

async function load(): Promise<Implementation> {
  const spec = envVar('WGFUSE_IMPL');
  if (spec === undefined || spec === '') return fusedReference;
  if (!inNode) throw new Error(`[harness.browser.2] WGFUSE_IMPL=${spec}: a browser page judges the reference only (it cannot import a module by path or run a command); judge it in Node`);
  // cmd:<command>: an implementation in another language, run as a command ([interface.command.1]); it and a
  // path need Node, so they are imported only here and a browser page runs the reference alone.
  if (spec.startsWith('cmd:')) return (await import('../harness/command-implementation.js')).commandImplementation(spec.slice(4).trim());
  const target = /^[./]/.test(spec) ? (await import('node:url')).pathToFileURL((await import('node:path')).resolve(spec)).href : spec;
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ target)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`[interface.plugin.1] WGFUSE_IMPL=${spec}: cannot import it: ${e instanceof Error ? e.message : String(e)}`);
  }
  const impl = module['implementation'] ?? (module['default'] as Record<string, unknown> | undefined)?.['implementation'];
  if (!isImplementation(impl)) {
    throw new Error(`[interface.plugin.1] WGFUSE_IMPL=${spec}: the module has no export 'implementation' with a name and a compile(graph, kernels, device) method`);
  }
  return impl;
}

import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { fusedReference } from '../../reference/implementation.js';
import type { Implementation } from '../../spec/implementation.js';

function isImplementation(value: unknown): value is Implementation {
  return typeof value === 'object' && value !== null && typeof (value as { compile?: unknown }).compile === 'function' && typeof (value as { name?: unknown }).name === 'string';
}

/**
 * The implementation the suite judges: the module named by WGFUSE_IMPL (a path or package exporting
 * `implementation`), else the reference's fused pipeline ([interface.plugin.1]).
 */
export async function implementationUnderTest(): Promise<Implementation> {
  const spec = process.env['WGFUSE_IMPL'];
  if (spec === undefined || spec === '') return fusedReference;
  const target = /^[./]/.test(spec) ? pathToFileURL(resolve(spec)).href : spec;
  let module: Record<string, unknown>;
  try {
    module = (await import(target)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`[interface.plugin.1] WGFUSE_IMPL=${spec}: cannot import it: ${e instanceof Error ? e.message : String(e)}`);
  }
  const impl = module['implementation'] ?? (module['default'] as Record<string, unknown> | undefined)?.['implementation'];
  if (!isImplementation(impl)) {
    throw new Error(`[interface.plugin.1] WGFUSE_IMPL=${spec}: the module has no export 'implementation' with a name and a compile(graph, kernels, device) method`);
  }
  return impl;
}

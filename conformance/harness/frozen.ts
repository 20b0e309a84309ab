/**
 * What an implementation is handed of a case: deep-frozen copies, so that nothing it does to them can
 * change what it is judged against ([interface.compile.4]). The oracle and the eager reference read the
 * case's own graph; an implementation that edits its copy changes only its own program.
 */
import type { Graph, KernelCatalog, RegisteredKernel } from '../../spec/index.js';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A deep-frozen copy of `graph`. */
export function frozenGraph(graph: Graph): Graph {
  return deepFreeze(structuredClone(graph));
}

/** A catalog of deep-frozen copies, in a map of its own: a program that edits the map edits only its copy. */
export function frozenCatalog(kernels: KernelCatalog): KernelCatalog {
  return new Map([...kernels].map(([name, k]): [string, RegisteredKernel] => [name, deepFreeze(structuredClone(k))]));
}

/**
 * The one place the harness asks which JavaScript runtime it is in (spec/capabilities.md [harness.browser.1]).
 * The judging tests run in Node (Dawn) and in a browser page (navigator.gpu); a browser has no `process`,
 * no files and no node: modules, so what needs them is reached only through `inNode` or a dynamic import.
 */

interface NodeBuiltins {
  'node:fs': typeof import('node:fs');
  'node:async_hooks': typeof import('node:async_hooks');
  'node:worker_threads': typeof import('node:worker_threads');
}

interface NodeProcess {
  readonly env: Record<string, string | undefined>;
  readonly versions: { readonly node?: string };
  getBuiltinModule?(id: string): unknown;
}

declare global {
  interface ImportMeta {
    /** Set by Vite (vitest's browser mode); undefined in Node. */
    readonly env?: Record<string, unknown>;
  }
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;

/** True in Node (and runtimes that provide its `process`, such as Deno); false in a browser page. */
export const inNode: boolean = typeof nodeProcess?.versions?.node === 'string';

// vitest's browser mode rewrites `import.meta.env` to the project's `env` values; Vite needs the literal text.
const browserEnv = (): Record<string, unknown> | undefined => (inNode ? undefined : import.meta.env);

/**
 * An environment variable: `process.env` in Node; in a browser, what vitest's project `env` passed to the
 * page (vitest.config.ts passes every WGFUSE_* variable of the run). Undefined when unset.
 */
export function envVar(name: string): string | undefined {
  if (nodeProcess?.env !== undefined) return nodeProcess.env[name];
  const value = browserEnv()?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * A node: built-in module, for the harness parts that only Node runs (files, async context). Throws, naming
 * `what` needed it, in a runtime that has none.
 */
export function nodeBuiltin<ID extends keyof NodeBuiltins>(id: ID, what: string): NodeBuiltins[ID] {
  if (nodeProcess?.getBuiltinModule === undefined) throw new Error(`[harness.browser.2] ${what} needs Node's ${id}, which this runtime (a browser page?) does not have`);
  return nodeProcess.getBuiltinModule(id) as NodeBuiltins[ID];
}

let browserMessages: (() => Promise<readonly string[]>) | undefined;

/**
 * Lets a browser page's host say what the browser itself printed (its console warnings and errors), so a WebGPU
 * that does not come up fails with the browser's own words ([harness.browser.1]); set by browser-setup.ts.
 */
export function setBrowserMessages(read: () => Promise<readonly string[]>): void {
  browserMessages = read;
}

/** What the browser printed so far, when its host can tell; empty otherwise and in Node. */
export async function readBrowserMessages(): Promise<readonly string[]> {
  try {
    return (await browserMessages?.()) ?? [];
  } catch {
    return [];
  }
}

let hostSink: ((line: string) => void) | undefined;

/** Lets a browser page's host take ledger lines (browser-setup.ts): a page cannot write files. */
export function setHostSink(sink: (line: string) => void): void {
  hostSink = sink;
}

/** A ledger line for the page's host; dropped when there is no host (a page without the project's setup). */
export function sendToHost(line: string): void {
  hostSink?.(line);
}

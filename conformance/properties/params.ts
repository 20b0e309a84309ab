import fc from 'fast-check';
import { envVar } from '../harness/runtime.js';

/**
 * fast-check settings shared by every property. CI pins the seed with WGFUSE_SEED and it is printed
 * either way; a failure prints the seed and path and the command that replays exactly that case.
 */
export interface PropertySettings {
  readonly seed: number;
  readonly numRuns: number;
  readonly path: string | undefined;
  /** Further data sets judged per generated graph, each a case of its own (WGFUSE_DATA_VARIANTS, default 0). */
  readonly dataVariants: number;
  /** Which draws the random properties make (WGFUSE_TIER: ci, the default, or campaign; [gen.large.1]). */
  readonly tier: 'ci' | 'campaign';
}

function envInt(name: string): number | undefined {
  const raw = envVar(name);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name}=${raw} is not an integer`);
  return n;
}

let announced = false;

export function propertySettings(defaultRuns = 200): PropertySettings {
  const seed = envInt('WGFUSE_SEED') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const numRuns = envInt('WGFUSE_NUM_RUNS') ?? defaultRuns;
  const path = envVar('WGFUSE_PATH') || undefined;
  const dataVariants = envInt('WGFUSE_DATA_VARIANTS') ?? 0;
  if (dataVariants < 0) throw new Error(`WGFUSE_DATA_VARIANTS=${dataVariants}: expected 0 or more`);
  const tierText = envVar('WGFUSE_TIER') || 'ci';
  if (tierText !== 'ci' && tierText !== 'campaign') throw new Error(`WGFUSE_TIER=${tierText}: expected ci or campaign`);
  const tier: 'ci' | 'campaign' = tierText;
  if (!announced) {
    announced = true;
    console.log(`fast-check: seed ${seed}${envVar('WGFUSE_SEED') ? ' (pinned by WGFUSE_SEED)' : ''}, ${numRuns} runs per property${path ? `, replaying path ${path}` : ''}`);
  }
  return { seed, numRuns, path, dataVariants, tier };
}

/** What a failed property reports, whichever runner ran it. */
export interface PropertyFailure {
  readonly seed: number;
  readonly path: string | undefined;
  readonly error: unknown;
  /** fast-check's own report (counterexample, shrinks), printed last. */
  readonly report: string;
}

/**
 * The command that replays a failure exactly: the seed, the path, the implementation (when not the
 * reference), the test file and the test's title.
 */
export function replayCommand(title: string, file: string | undefined, seed: number, path: string | undefined): string {
  const env = [`WGFUSE_SEED=${seed}`, `WGFUSE_PATH=${path ?? ''}`];
  const variants = envVar('WGFUSE_DATA_VARIANTS');
  if (variants !== undefined && variants !== '' && variants !== '0') env.push(`WGFUSE_DATA_VARIANTS=${shellQuote(variants)}`);
  if (envVar('WGFUSE_TIER') === 'campaign') env.push('WGFUSE_TIER=campaign');
  const impl = envVar('WGFUSE_IMPL');
  if (impl !== undefined && impl !== '') env.push(`WGFUSE_IMPL=${shellQuote(impl)}`);
  return `${env.join(' ')} npx vitest run ${file === undefined ? '' : `${shellQuote(file)} `}-t ${shellQuote(escapeRegExp(title))}`;
}

/** A failure report with what a reader acts on first: the broken rule and case, then the replay line, then the rest. */
export function formatPropertyFailure(title: string, file: string | undefined, failure: PropertyFailure): Error {
  const e = failure.error;
  // A conformance failure splits into what to read first (rule, case, findings) and its long context (graph, WGSL).
  const [head, tail] =
    typeof e === 'object' && e !== null && 'summary' in e && 'context' in e && typeof e.summary === 'string' && typeof e.context === 'string'
      ? [e.summary, e.context]
      : [e instanceof Error ? e.message : String(e), ''];
  const replay = replayCommand(title, file, failure.seed, failure.path);
  return new Error(`${head}\n\nreplay: ${replay}\n\n${tail === '' ? '' : `${tail}\n\n`}${failure.report}`);
}

/**
 * Runs an async property and throws a report naming the seed, the path and a replay command on failure.
 * Returns the number of cases run.
 */
export async function assertProperty<T>(
  title: string,
  property: fc.IAsyncPropertyWithHooks<T>,
  options: { readonly examples?: T[]; readonly settings?: PropertySettings; readonly file?: string } = {},
): Promise<number> {
  const settings = options.settings ?? propertySettings();
  const details = await fc.check(property, {
    seed: settings.seed,
    examples: options.examples ?? [],
    numRuns: settings.path === undefined ? settings.numRuns : 1,
    ...(settings.path === undefined ? {} : { path: settings.path }),
    endOnFailure: false,
  });
  if (details.failed) {
    const report = fc.defaultReportMessage(details) ?? 'property failed';
    throw formatPropertyFailure(title, options.file, { seed: details.seed, path: details.counterexamplePath ?? undefined, error: details.errorInstance, report });
  }
  return details.numRuns;
}

/** `s` as a regular expression matching itself: vitest's -t is a pattern, and titles start with `[rule]`. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `s` as one POSIX shell word. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

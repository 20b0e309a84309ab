import fc from 'fast-check';

/**
 * fast-check settings shared by every property. CI pins the seed with WGFUSE_SEED and it is printed
 * either way; a failure prints the seed and path and the command that replays exactly that case.
 */
export interface PropertySettings {
  readonly seed: number;
  readonly numRuns: number;
  readonly path: string | undefined;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name}=${raw} is not an integer`);
  return n;
}

let announced = false;

export function propertySettings(defaultRuns = 200): PropertySettings {
  const seed = envInt('WGFUSE_SEED') ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const numRuns = envInt('WGFUSE_NUM_RUNS') ?? defaultRuns;
  const path = process.env['WGFUSE_PATH'] || undefined;
  if (!announced) {
    announced = true;
    console.log(`fast-check: seed ${seed}${process.env['WGFUSE_SEED'] ? ' (pinned by WGFUSE_SEED)' : ''}, ${numRuns} runs per property${path ? `, replaying path ${path}` : ''}`);
  }
  return { seed, numRuns, path };
}

/**
 * Runs an async property and throws a report naming the seed, the path and a replay command on failure.
 * Returns the number of cases run.
 */
export async function assertProperty<T>(
  title: string,
  property: fc.IAsyncPropertyWithHooks<T>,
  options: { readonly examples?: T[]; readonly settings?: PropertySettings } = {},
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
    const replay = `WGFUSE_SEED=${details.seed} WGFUSE_PATH=${details.counterexamplePath ?? ''} npx vitest run -t ${shellQuote(escapeRegExp(title))}`;
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details) ?? 'property failed'}\n\nfailure of the shrunk case:\n${cause}\n\nreplay: ${replay}`);
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

import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };

export interface Cli<O extends Options> {
  readonly values: ReturnType<typeof parseArgs<{ options: WithHelp<O> }>>['values'];
  /** Prints the message and the usage to stderr and exits 2: the arguments were wrong. */
  readonly usageError: (message: string) => never;
  /** The arguments that are not options, where the command takes them. */
  readonly positionals: readonly string[];
}

/**
 * Parses a script's options the way every wgfuse CLI does: `-h`/`--help` prints `help` and exits 0, and
 * an unknown or malformed option prints what is wrong and the usage, and exits 2.
 */
export function parseCli<const O extends Options>(name: string, help: string, options: O, allowPositionals = false): Cli<O> {
  const usageError = (message: string): never => {
    process.stderr.write(`${name}: ${message}\n\n${help}`);
    process.exit(2);
  };
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>;
  let values: Cli<O>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ options: all, allowPositionals }));
  } catch (e) {
    return usageError(e instanceof Error ? e.message : String(e));
  }
  if ((values as { help?: boolean }).help === true) {
    process.stdout.write(help);
    process.exit(0);
  }
  return { values, usageError, positionals };
}

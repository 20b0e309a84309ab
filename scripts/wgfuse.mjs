#!/usr/bin/env node
// The `wgfuse` command of the installed package: `wgfuse <command> [options]`. The commands are the
// TypeScript scripts beside this file, run by the tsx this package depends on, so an installed wgfuse
// needs no build step and an implementation module (--impl) may be TypeScript too.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const COMMANDS = {
  run: ['conformance.ts', [], 'judge an implementation: the conformance tests, with a report'],
  fuzz: ['fuzz.ts', [], 'long random campaigns against an implementation'],
  replay: ['fuzz.ts', ['--replay'], 'replay a case a campaign saved: wgfuse replay <file>'],
  caps: ['capabilities.ts', [], 'what WebGPU this machine offers, and why other backends failed'],
  compare: ['compare.ts', [], 'reports of several implementations side by side: wgfuse compare a.json b.json'],
};

const usage = `usage: wgfuse <command> [options]     (wgfuse <command> --help for its options)

commands:
${Object.entries(COMMANDS).map(([name, [, , what]]) => `  ${name.padEnd(8)} ${what}`).join('\n')}
`;

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
  process.stdout.write(usage);
  process.exit(command === undefined ? 2 : 0);
}
const entry = COMMANDS[command];
if (entry === undefined) {
  process.stderr.write(`wgfuse: unknown command '${command}'\n\n${usage}`);
  process.exit(2);
}
const [script, prefix] = entry;
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--import', tsx, join(here, script), ...prefix, ...rest], { stdio: 'inherit' });
process.on('SIGINT', () => child.kill('SIGINT'));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));

// npm run soak: a long fuzz campaign in a child process, its resident memory sampled at a fixed interval, then
// the series and the slope after warm-up. Memory that keeps growing shows as a slope well above zero; a campaign
// whose caches are bounded levels off.
//
//   npm run soak -- --minutes 30 --every 30 --warmup 5 [-- <npm run fuzz options>]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCli } from './lib/cli.js';

const HELP = `usage: npm run soak -- [options] [-- <fuzz options>]

Runs \`npm run fuzz\` for a fixed time in a child process and samples its resident set size (VmRSS, from
/proc; the campaign's process and every process below it) every interval. Prints one line per sample, then the least-squares slope of RSS over the samples
taken after the warm-up, in MB per minute. Fuzz options after \`--\` are passed on (e.g. --data-variants 4).

options:
  --minutes <m>   how long the campaign runs (default 30)
  --every <s>     seconds between samples (default 30)
  --warmup <m>    minutes left out of the slope (default 5)
  -h, --help      this text

exit status: 0 the campaign ran out its time without a failure; 1 it failed or stopped early; 2 bad arguments
`;

const { values, positionals, usageError } = parseCli('soak', HELP, { minutes: { type: 'string' }, every: { type: 'string' }, warmup: { type: 'string' } }, true);
const positive = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) usageError(`--${name} ${raw}: expected a positive number`);
  return n;
};
const minutes = positive('minutes', values.minutes, 30);
const every = positive('every', values.every, 30);
const warmup = positive('warmup', values.warmup, 5);
if (warmup >= minutes) usageError(`--warmup ${warmup} leaves no sample of a ${minutes}-minute campaign`);

const root = fileURLToPath(new URL('..', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/fuzz.ts', '--minutes', String(minutes), ...positionals], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let lastLine = '';
child.stdout.on('data', (chunk: Buffer) => {
  const lines = chunk.toString().split('\n').filter((l) => l.trim() !== '');
  lastLine = lines.at(-1) ?? lastLine;
});

/** A process's resident set in kB, or undefined once it has exited. */
function rssKb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/** The resident sets of `pid` and every process below it, in MB (npm run fuzz runs its campaign in a child). */
function treeRssMb(pid: number): number | undefined {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the 4th field, after the command name in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Exited while listed.
    }
  }
  const inTree = (p: number): boolean => {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parents.get(q)) if (q === pid) return true;
    return false;
  };
  const own = rssKb(pid);
  if (own === undefined) return undefined;
  let kb = 0;
  for (const p of parents.keys()) if (inTree(p)) kb += rssKb(p) ?? 0;
  return kb / 1024;
}

const samples: { minute: number; mb: number }[] = [];
const t0 = performance.now();
const timer = setInterval(() => {
  const mb = child.pid === undefined ? undefined : treeRssMb(child.pid);
  if (mb === undefined) return;
  const minute = (performance.now() - t0) / 60000;
  samples.push({ minute, mb });
  process.stdout.write(`soak ${minute.toFixed(1).padStart(5)} min  RSS ${mb.toFixed(0).padStart(5)} MB  ${lastLine.trim().slice(0, 110)}\n`);
}, every * 1000);

const code = await new Promise<number>((done) => child.on('exit', (c) => done(c ?? 1)));
clearInterval(timer);
const after = samples.filter((s) => s.minute >= warmup);
if (after.length < 2) {
  process.stdout.write(`soak: ${after.length} sample(s) after the ${warmup}-minute warm-up: no slope (the campaign exited with ${code})\n`);
  process.exit(1);
}
// Least squares over the samples after warm-up.
const mx = after.reduce((a, s) => a + s.minute, 0) / after.length;
const my = after.reduce((a, s) => a + s.mb, 0) / after.length;
const slope = after.reduce((a, s) => a + (s.minute - mx) * (s.mb - my), 0) / after.reduce((a, s) => a + (s.minute - mx) ** 2, 0);
const first = after[0] as { mb: number };
const last = after.at(-1) as { mb: number };
process.stdout.write(
  `soak: ${samples.length} samples every ${every} s; after ${warmup} min warm-up RSS went ${first.mb.toFixed(0)} → ${last.mb.toFixed(0)} MB, ` +
    `slope ${slope.toFixed(2)} MB/min, peak ${Math.max(...samples.map((s) => s.mb)).toFixed(0)} MB; campaign exit ${code}\n`,
);
process.exit(code === 0 ? 0 : 1);

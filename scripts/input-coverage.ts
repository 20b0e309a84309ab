// npm run input-coverage: what the random properties' generators reach, before a bug finds what they do not.
// Samples each family's cases exactly as a campaign draws them, evaluates them with the CPU interpreter, and
// tallies op arguments by magnitude, sizes against grid thresholds, ranks, batch extents, side inputs, chain
// lengths and reduction rows; every region the fuzzing issue lists that no case reached is named at the end.
// CPU only: no device is opened.
import fc from 'fast-check';
import { interpretAll, numel } from '../spec/index.js';
import type { Graph } from '../spec/index.js';
import { PROPERTY_NAMES, RANDOM_PROPERTIES } from '../conformance/properties/random-properties.js';
import type { PropertyName } from '../conformance/properties/random-properties.js';
import { parseCli } from './lib/cli.js';

const HELP = `usage: npm run input-coverage -- [options]

Draws cases from every random property (as npm run fuzz and the judging tests do), evaluates each with the
CPU interpreter on its data, and prints histograms: op arguments by magnitude, output sizes against the
grid thresholds, ranks and batch extents, side inputs, chain lengths, and reduction rows by their values.
Then it lists the regions of the input space that no case reached.

options:
  --cases <n>   cases per family (default 200)
  --seed <n>    fast-check seed (default 1)
  --json <f>    also write the tallies as JSON
  -h, --help    this text
`;

const { values, usageError } = parseCli('input-coverage', HELP, { cases: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' } });
const int = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) usageError(`--${name} ${raw}: expected a positive integer`);
  return n;
};
const perFamily = int('cases', values.cases, 200);
const seed = int('seed', values.seed, 1);

type Tally = Record<string, number>;
const bump = (t: Tally, k: string, n = 1): void => void (t[k] = (t[k] ?? 0) + n);

// |x| buckets: zero, below f32's smallest normal, tiny normals, small, ordinary, large, near overflow.
const MAGNITUDES = ['0', '<1.2e-38 (subnormal)', '<1e-30 (tiny normal)', '<1e-3', '<1', '<1e3', '<1e30', '≥1e30 (near overflow)', 'non-finite'] as const;
function magnitude(x: number): string {
  const a = Math.abs(x);
  if (!Number.isFinite(x)) return 'non-finite';
  if (a === 0) return '0';
  if (a < 1.1754944e-38) return '<1.2e-38 (subnormal)';
  if (a < 1e-30) return '<1e-30 (tiny normal)';
  if (a < 1e-3) return '<1e-3';
  if (a < 1) return '<1';
  if (a < 1e3) return '<1e3';
  if (a < 1e30) return '<1e30';
  return '≥1e30 (near overflow)';
}
// Output sizes against the thresholds where a kernel's grid folds into 2-D (65535 workgroups of 64 for the
// pointwise kernel) and where llvmpipe's 65535-iteration loop cap would bite a one-lane reduction.
const SIZES: readonly [string, number][] = [['1', 1], ['≤64', 64], ['≤4096', 4096], ['≤65535', 65535], ['≤4194240 (one grid row of 64-wide)', 65535 * 64], ['more (folded grid)', Infinity]];
const sizeBucket = (n: number): string => (SIZES.find(([, max]) => n <= max) as [string, number])[0];

const args: Record<string, Tally> = {};
const sizes: Tally = {};
const ranks: Tally = {};
const batched: Tally = {};
const sideInputs: Tally = {};
const chainLength: Tally = {};
const rows: Tally = {};
const exclusiveRows: Tally = {};
const edges: Tally = {};
let cases = 0;

function tallyGraph(graph: Graph, data: readonly Float32Array[]): void {
  const all = interpretAll(graph, data);
  const call = graph.nodes.find((n) => n.kind === 'call');
  bump(sideInputs, String(Math.max(0, graph.inputs.length - (call?.kind === 'call' ? call.args.length : 2))));
  const ops = graph.nodes.filter((n) => n.kind === 'op').length;
  bump(chainLength, ops === 0 ? '0' : ops < 4 ? '1-3' : ops < 8 ? '4-7' : ops < 16 ? '8-15' : ops < 32 ? '16-31' : '32+');
  for (const node of graph.nodes) {
    if (node.kind === 'op' || node.kind === 'call') {
      bump(sizes, sizeBucket(numel(node.shape)));
      bump(ranks, String(node.shape.length));
      if (node.shape.length > 2 && node.shape.slice(0, -2).some((d) => d > 1)) bump(batched, `rank ${node.shape.length}`);
    }
    if (node.kind === 'op') {
      const t = (args[node.op] ??= {});
      for (const a of node.args) for (const x of all[a] ?? []) bump(t, magnitude(x));
      // exp overflows f32 past 88.72: arguments within 10 of that edge.
      if (node.op === 'exp') for (const x of all[node.args[0] as number] ?? []) if (x >= 78.72) bump(edges, 'exp argument ≥ 78.72');
    }
    if (node.kind === 'call' && (node.semantics === 'softmax' || node.semantics === 'rmsnorm')) {
      const x = all[node.args[0] as number] ?? new Float32Array();
      const n = node.shape.at(-1) ?? 1;
      for (let r = 0; r < x.length / n; r++) {
        const row = x.subarray(r * n, (r + 1) * n);
        const lo = Math.min(...row);
        const hi = Math.max(...row);
        bump(rows, `${node.semantics}: max |x| ${magnitude(Math.max(Math.abs(lo), Math.abs(hi)))}`);
        if (lo >= 10) bump(exclusiveRows, `${node.semantics}: every value ≥ 10`);
        if (hi <= -10) bump(exclusiveRows, `${node.semantics}: every value ≤ -10`);
      }
    }
  }
}

for (const family of PROPERTY_NAMES as readonly PropertyName[]) {
  const drawn = fc.sample(RANDOM_PROPERTIES[family].cases(), { seed, numRuns: perFamily });
  for (const c of drawn) {
    const built = c.build();
    tallyGraph(built.graph, built.inputs);
    cases++;
  }
}

const show = (title: string, t: Tally, order?: readonly string[]): string => {
  const keys = order ?? Object.keys(t).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  return `${title}\n${keys.map((k) => `  ${k.padEnd(36)} ${String(t[k] ?? 0).padStart(9)}`).join('\n')}`;
};
const out: string[] = [`input coverage: ${cases} cases (${perFamily} per family: ${PROPERTY_NAMES.join(', ')}), seed ${seed}`, ''];
out.push('op arguments by magnitude (elements):');
out.push(`  ${'op'.padEnd(9)}${MAGNITUDES.map((m) => m.split(' ')[0]?.padStart(12)).join('')}`);
for (const [op, t] of Object.entries(args).sort()) out.push(`  ${op.padEnd(9)}${MAGNITUDES.map((m) => String(t[m] ?? 0).padStart(12)).join('')}`);
out.push('', show('kernel and op outputs by size (elements):', sizes, SIZES.map(([k]) => k)));
out.push('', show('ranks of kernel and op outputs:', ranks), '', show('batched outputs (an extent > 1 before the last two):', batched));
out.push('', show('side inputs per case:', sideInputs), '', show('elementwise ops per case:', chainLength, ['0', '1-3', '4-7', '8-15', '16-31', '32+']));
out.push('', show('reduction rows by their largest |x|:', rows), '', show('reduction rows all far from zero:', exclusiveRows));

// The regions the fuzzing issue lists, each reached or not.
const reached = (t: Tally | undefined, pred: (k: string) => boolean): boolean => Object.entries(t ?? {}).some(([k, n]) => n > 0 && pred(k));
const anyArg = (m: string): boolean => Object.values(args).some((t) => (t[m] ?? 0) > 0);
const regions: [string, boolean][] = [
  ['op arguments near f32 overflow (|x| ≥ 1e30)', anyArg('≥1e30 (near overflow)')],
  ['op arguments that are tiny normals (|x| < 1e-30)', anyArg('<1e-30 (tiny normal)')],
  ['log/sqrt arguments just above 0 (< 1e-3)', reached(args['log'], (k) => k === '<1e-3' || k.startsWith('<1e-30')) || reached(args['sqrt'], (k) => k === '<1e-3' || k.startsWith('<1e-30'))],
  ['exp arguments within 10 of its overflow edge (≥ 78.72)', (edges['exp argument ≥ 78.72'] ?? 0) > 0],
  ['outputs past one grid row (folded 2-D grid)', (sizes['more (folded grid)'] ?? 0) > 0],
  ['rank 5 or 6', reached(ranks, (k) => Number(k) >= 5)],
  ['batched outputs (extent > 1 before the last two)', Object.keys(batched).length > 0],
  ['two or more side inputs in one case', reached(sideInputs, (k) => Number(k) >= 2)],
  ['reduction rows all ≥ 10 or all ≤ -10', Object.keys(exclusiveRows).length > 0],
];
out.push('', 'regions of the input space (spec of the fuzzing work):');
for (const [what, ok] of regions) out.push(`  ${ok ? 'reached    ' : 'NOT REACHED'} ${what}`);
out.push('', 'Only the random properties are counted: the named cases of conformance/generators/patterns.ts (a folded grid of 70001');
out.push('elements among them) and the shape-change properties (conformance/properties/shape-change.ts) are not.');
process.stdout.write(`${out.join('\n')}\n`);
if (values.json !== undefined) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.json, `${JSON.stringify({ seed, cases, args, edges, sizes, ranks, batched, sideInputs, chainLength, rows, exclusiveRows, regions: Object.fromEntries(regions) }, null, 2)}\n`);
}

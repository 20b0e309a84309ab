// npm run input-coverage: what the random properties' generators reach, before a bug finds what they do not.
// Samples each family's cases exactly as a campaign draws them (the campaign tier by default), evaluates them
// with the CPU interpreter, and tallies op arguments by magnitude and against each op's domain edges, the
// reference's grids and loop lengths against the 65535 thresholds, ranks and batch extents per node kind,
// side inputs, chain lengths, dynamic shapes and reduction rows; every region the fuzzing issue lists that no
// case reached is named at the end, and the exit status is 1 when one is missing.
// CPU only: no device is opened.
import fc from 'fast-check';
import { broadcastOffsets, interpretAll } from '../spec/interpreter.js';
import { numel } from '../spec/index.js';
import type { Graph } from '../spec/index.js';
import { GRID_DIMENSION } from '../conformance/generators/large.js';
import { loopNeed } from '../conformance/harness/loop-cap.js';
import { PROPERTY_NAMES, RANDOM_PROPERTIES, TIERS } from '../conformance/properties/random-properties.js';
import type { PropertyName, Tier } from '../conformance/properties/random-properties.js';
import { CORE_DEFAULT_LIMITS, generateProgram, lowerGraph, TEMPLATES } from '../conformance/reference-door.js';
import { parseCli } from './lib/cli.js';

const HELP = `usage: npm run input-coverage -- [options]

Draws cases from every random property (as npm run fuzz and the judging tests do), evaluates each with the
CPU interpreter on its data, and prints histograms: op arguments by magnitude and at each op's domain edges,
the reference's grids and loop trips against 65535, ranks and batch extents per node kind, side inputs,
chain lengths, dynamic shapes, and reduction rows by their values. Then it lists the regions of the input
space that no case reached; the exit status is 1 when any is missing.

options:
  --cases <n>   cases per family (default 200)
  --seed <n>    fast-check seed (default 1)
  --tier <t>    campaign (default: what npm run fuzz draws) or ci (what the judging tests draw)
  --json <f>    also write the tallies as JSON
  -h, --help    this text
`;

const { values, usageError } = parseCli('input-coverage', HELP, { cases: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' }, tier: { type: 'string' } });
const int = (name: string, raw: string | undefined, fallback: number): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) usageError(`--${name} ${raw}: expected a positive integer`);
  return n;
};
const perFamily = int('cases', values.cases, 200);
const seed = int('seed', values.seed, 1);
const tierText = values.tier ?? 'campaign';
if (!TIERS.includes(tierText as Tier)) usageError(`--tier ${tierText}: expected ${TIERS.join(' or ')}`);
const tier = tierText as Tier;

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

/** Each op's domain edges, as the arguments that come just inside them ([gen.space.1]). */
const EDGES: readonly [string, (op: string, a: number, b: number) => boolean][] = [
  ['exp argument ≥ 78.72 (within 10 of overflow)', (op, a) => op === 'exp' && a >= 78.72],
  ['sigmoid argument ≤ -80 (exp(-x) near overflow)', (op, a) => op === 'sigmoid' && a <= -80],
  ['log argument in (0, 1e-20]', (op, a) => op === 'log' && a > 0 && a <= 1e-20],
  ['sqrt argument in [0, 1e-20]', (op, a) => op === 'sqrt' && a >= 0 && a <= 1e-20],
  ['divisor |b| ≤ 1e-20', (op, _a, b) => op === 'div' && Math.abs(b) <= 1e-20],
  ['divisor |b| ≥ 1e30', (op, _a, b) => op === 'div' && Math.abs(b) >= 1e30],
  ['tanh argument |x| ≥ 1e30', (op, a) => op === 'tanh' && Math.abs(a) >= 1e30],
];

const args: Record<string, Tally> = {};
const edges: Tally = {};
const results: Tally = {};
const grids: Tally = {};
const loops: Tally = {};
const ranks: Tally = {};
const sideInputs: Tally = {};
const chainLength: Tally = {};
const dynamic: Tally = {};
const rows: Tally = {};
const exclusiveRows: Tally = {};
const spaces: Tally = {};
let cases = 0;

/** What a node is, for the per-kind tallies: `op`, or the kernel call's semantics. */
function kindOf(graph: Graph, id: number): string {
  const node = graph.nodes[id];
  return node?.kind === 'call' ? `call ${node.semantics}` : (node?.kind ?? '?');
}

/** The reference's grid for each kernel call, against one grid dimension, and the longest loop any call needs. */
function tallyKernels(graph: Graph): void {
  // Core limits and f16: every family's kernels generate, the core-limits one's 256-invocation workgroups included.
  const program = generateProgram(lowerGraph(graph, TEMPLATES), TEMPLATES, CORE_DEFAULT_LIMITS, { f16: true });
  for (const kernel of program) {
    const call = graph.nodes.find((n) => n.kind === 'call' && (n.id === kernel.writes || kernel.alsoWrites.includes(n.id)));
    const what = call === undefined ? 'pointwise' : kindOf(graph, call.id);
    const [gx, gy] = kernel.grid;
    bump(grids, `${what}: ${gy > 1 ? 'folded 2-D' : gx > 4096 ? '4097-65535 workgroups' : '≤4096 workgroups'}`);
    if (call?.kind === 'call' && (call.semantics === 'softmax' || call.semantics === 'rmsnorm')) {
      const r = numel(call.shape) / (call.shape.at(-1) ?? 1);
      if (r > GRID_DIMENSION) bump(grids, `${what}: more than 65535 rows`);
    }
  }
  const need = loopNeed(graph);
  if (need !== undefined) bump(loops, `${need.semantics}: ${need.trips > GRID_DIMENSION ? 'past 65535 trips' : need.trips > 4096 ? '4097-65535 trips' : '≤4096 trips'}`);
}

function tallyCase(graph: Graph, data: readonly Float32Array[], value: unknown): void {
  tallyKernels(graph);
  const all = interpretAll(graph, data);
  const call = graph.nodes.find((n) => n.kind === 'call');
  bump(sideInputs, String(Math.max(0, graph.inputs.length - (call?.kind === 'call' ? call.args.length : 2))));
  const ops = graph.nodes.filter((n) => n.kind === 'op').length;
  bump(chainLength, ops === 0 ? '0' : ops < 4 ? '1-3' : ops < 8 ? '4-7' : ops < 16 ? '8-15' : ops < 32 ? '16-31' : '32+');
  const staticShapes = (value as { staticShapes?: boolean }).staticShapes;
  if (call?.kind === 'call') bump(dynamic, `${kindOf(graph, call.id)}: ${staticShapes === false ? 'sizes in a uniform' : 'static sizes'}`);
  for (const node of graph.nodes) {
    if (node.kind === 'op' || node.kind === 'call') {
      const batched = node.shape.length > 2 && node.shape.slice(0, -2).some((d) => d > 1);
      bump(ranks, `${kindOf(graph, node.id)}: rank ${node.shape.length}${batched ? ' batched' : ''}`);
    }
    if (node.kind === 'op') {
      const t = (args[node.op] ??= {});
      const [ia = 0, ib] = node.args;
      const offA = broadcastOffsets(graph.nodes[ia]?.shape ?? [], node.shape);
      const offB = broadcastOffsets(graph.nodes[ib ?? ia]?.shape ?? [], node.shape);
      const out = all[node.id] ?? new Float32Array();
      for (let i = 0; i < out.length; i++) {
        const a = all[ia]?.[offA[i] ?? 0] ?? NaN;
        const b = ib === undefined ? 0 : (all[ib]?.[offB[i] ?? 0] ?? NaN);
        bump(t, magnitude(a));
        if (ib !== undefined) bump(t, magnitude(b));
        for (const [what, at] of EDGES) if (at(node.op, a, b)) bump(edges, what);
        const r = out[i] ?? 0;
        if (r !== 0 && Math.abs(r) < 1e-30) bump(results, 'tiny normal (0 < |r| < 1e-30)');
        if (Math.abs(r) >= 1e30) bump(results, 'near overflow (|r| ≥ 1e30)');
      }
    }
    if (node.kind === 'call' && (node.semantics === 'softmax' || node.semantics === 'rmsnorm')) {
      const x = all[node.args[0] as number] ?? new Float32Array();
      const n = node.shape.at(-1) ?? 1;
      for (let r = 0; r < x.length / n; r++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let j = r * n; j < (r + 1) * n; j++) {
          lo = Math.min(lo, x[j] ?? 0);
          hi = Math.max(hi, x[j] ?? 0);
        }
        bump(rows, `${node.semantics}: max |x| ${magnitude(Math.max(Math.abs(lo), Math.abs(hi)))}`);
        if (lo >= 10) bump(exclusiveRows, `${node.semantics}: every value ≥ 10`);
        if (hi <= -10) bump(exclusiveRows, `${node.semantics}: every value ≤ -10`);
        if (lo >= 1e3) bump(exclusiveRows, `${node.semantics}: every value ≥ 1000`);
        if (hi <= -1e3) bump(exclusiveRows, `${node.semantics}: every value ≤ -1000`);
      }
    }
  }
}

for (const family of PROPERTY_NAMES as readonly PropertyName[]) {
  const drawn = fc.sample(RANDOM_PROPERTIES[family].cases(tier), { seed, numRuns: perFamily });
  for (const c of drawn) {
    const built = c.build();
    bump(spaces, `${family}: ${built.space.name}`);
    tallyCase(built.graph, built.inputs, c.value);
    cases++;
  }
}

const show = (title: string, t: Tally, order?: readonly string[]): string => {
  const keys = order ?? Object.keys(t).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return `${title}\n${keys.map((k) => `  ${k.padEnd(48)} ${String(t[k] ?? 0).padStart(9)}`).join('\n')}`;
};
const out: string[] = [`input coverage: ${cases} cases (${perFamily} per family: ${PROPERTY_NAMES.join(', ')}), seed ${seed}, ${tier} tier`, ''];
out.push(show('value spaces ([gen.space.1]):', spaces), '');
out.push('op arguments by magnitude (elements):');
out.push(`  ${'op'.padEnd(9)}${MAGNITUDES.map((m) => m.split(' ')[0]?.padStart(12)).join('')}`);
for (const [op, t] of Object.entries(args).sort()) out.push(`  ${op.padEnd(9)}${MAGNITUDES.map((m) => String(t[m] ?? 0).padStart(12)).join('')}`);
out.push('', show('op arguments just inside a domain edge (elements):', edges, EDGES.map(([k]) => k)));
out.push('', show('op results at the ends of f32 (elements):', results, ['tiny normal (0 < |r| < 1e-30)', 'near overflow (|r| ≥ 1e30)']));
out.push('', show('the reference\'s grids per kernel, against 65535 workgroups a dimension:', grids));
out.push('', show('the longest loop a kernel needs (the harness\'s estimate), against 65535 trips:', loops));
out.push('', show('ranks of op and call outputs (batched: an extent > 1 before the last two):', ranks));
out.push('', show('side inputs per case:', sideInputs), '', show('elementwise ops per case:', chainLength, ['0', '1-3', '4-7', '8-15', '16-31', '32+']));
out.push('', show('kernel calls by how their sizes reach the kernel (dynamic shapes):', dynamic));
out.push('', show('reduction rows by their largest |x|:', rows), '', show('reduction rows all far from zero:', exclusiveRows));

// The regions the fuzzing issue lists, each reached or not.
const some = (t: Tally, pred: (k: string) => boolean): boolean => Object.entries(t).some(([k, n]) => n > 0 && pred(k));
const anyArg = (m: string): boolean => Object.values(args).some((t) => (t[m] ?? 0) > 0);
const regions: [string, boolean][] = [
  ['op arguments near f32 overflow (|x| ≥ 1e30)', anyArg('≥1e30 (near overflow)')],
  ['op arguments that are tiny normals (|x| < 1e-30)', anyArg('<1e-30 (tiny normal)')],
  ...EDGES.map(([what]): [string, boolean] => [what, (edges[what] ?? 0) > 0]),
  ['results that are tiny normals', (results['tiny normal (0 < |r| < 1e-30)'] ?? 0) > 0],
  // Not the add kernel: it packs its blocks into 256 lanes of 4 elements each ([templates.add.config],
  // [codegen.vec4.1]), so its grid passes 65535 workgroups only past 2^26 elements, far beyond what a case
  // is judged at on the CPU; its folded tile index is judged by [codegen.grid.2] (every grid folded near-square).
  ...['matmul', 'softmax', 'rmsnorm'].map((s): [string, boolean] => [`call ${s}: a grid folded into 2-D`, some(grids, (k) => k === `call ${s}: folded 2-D`)]),
  ['softmax and rmsnorm with more than 65535 rows', some(grids, (k) => k === 'call softmax: more than 65535 rows') && some(grids, (k) => k === 'call rmsnorm: more than 65535 rows')],
  ['matmul, softmax and rmsnorm loops past 65535 trips', ['matmul', 'softmax', 'rmsnorm'].every((s) => (loops[`${s}: past 65535 trips`] ?? 0) > 0)],
  ...['op', 'call elementwise_add', 'call matmul', 'call softmax', 'call rmsnorm'].map((kind): [string, boolean] => [`${kind} at rank 5 or 6, batched`, some(ranks, (k) => k === `${kind}: rank 5 batched` || k === `${kind}: rank 6 batched`)]),
  ['two or more side inputs in one case', some(sideInputs, (k) => Number(k) >= 2)],
  ['kernel calls with sizes in a uniform (dynamic shapes)', some(dynamic, (k) => k.endsWith('sizes in a uniform'))],
  ['reduction rows all ≥ 1000 or all ≤ -1000', some(exclusiveRows, (k) => k.endsWith('1000'))],
];
out.push('', 'regions of the input space (spec of the fuzzing work):');
for (const [what, ok] of regions) out.push(`  ${ok ? 'reached    ' : 'NOT REACHED'} ${what}`);
const missing = regions.filter(([, ok]) => !ok).length;
out.push('', missing === 0 ? `every listed region reached (${regions.length})` : `${missing} of ${regions.length} regions not reached`);
out.push('Only the random properties are counted: the named cases of conformance/generators/patterns.ts and');
out.push('conformance/judge/templates.test.ts and the shape-change properties (conformance/properties/shape-change.ts) are not.');
process.stdout.write(`${out.join('\n')}\n`);
if (values.json !== undefined) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.json, `${JSON.stringify({ seed, tier, cases, spaces, args, edges, results, grids, loops, ranks, sideInputs, chainLength, dynamic, rows, exclusiveRows, regions: Object.fromEntries(regions) }, null, 2)}\n`);
}
process.exit(missing === 0 ? 0 : 1);

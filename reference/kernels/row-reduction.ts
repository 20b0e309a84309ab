import { formatShape, numel, rowsOf, WgfuseError } from '../../spec/index.js';
import type { KernelConfig, Shape } from '../../spec/index.js';
import type { TemplateContext, TunedConfigs } from '../registry/template.js';

/**
 * What the row-reduction templates (softmax, rmsnorm) share (spec/templates.md [templates.reduction.*]):
 * a tensor is viewed as rows × C (C its last extent); B lanes per row, R rows packed into one workgroup
 * when B is below the device's streaming lanes ([templates.reduction.rows]); each lane takes elements
 * lane, lane + B, … of its row, either cached in registers in one pass over memory (static shapes, C ≤ B·P;
 * [templates.reduction.cache]) or re-loaded on every pass; lane partials are combined in workgroup memory,
 * each row within its own segment of B partials.
 */

/** -f32 max, exactly: the identity of max for any finite row. */
export const LOWEST_F32_WGSL = '-3.4028234663852886e38f';

/**
 * Rows of B ≥ 128 lanes are not packed ([templates.reduction.rows]): such a row fills a workgroup of the
 * compatibility level's size on its own, and on an H100 softmax over [4096, 4096] ran 2% faster one row
 * per 128-lane workgroup than two rows per 256 lanes (back to back: 0.0471 against 0.0480 ms).
 */
export const PACK_BELOW = 128;

/** The most elements of a row one lane caches in registers ([templates.reduction.cache]). */
export const CACHE_CAP = 32;

/**
 * The row reductions' tuned configs ([registry.config.4]): B a power of two from 1 to 128 (the
 * compatibility level's invocation limit), picked so each lane takes about 8 elements of the row,
 * B = min(128, 2^⌈log2 ⌈C/8⌉⌉); rows of up to 4096 stay in registers ([templates.reduction.cache], P ≤ 32),
 * and short rows pack into full workgroups ([templates.reduction.rows]).
 */
export const ROW_TUNED: TunedConfigs = {
  configs: Object.fromEntries([1, 2, 4, 8, 16, 32, 64, 128].map((b) => [`b${b}`, { blockSizes: [b] }])),
  picker: ([x]) => {
    const cols = x?.shape.at(-1) ?? 1;
    let b = 1;
    while (b < 128 && b * 8 < cols) b *= 2;
    return `b${b}`;
  },
};

/** The one block size B of a row-reduction config: lanes per row ([templates.reduction.config]). */
export function lanesOf(ctx: TemplateContext, template: string): number {
  const [lanes] = ctx.config.blockSizes;
  if (lanes === undefined || !Number.isInteger(lanes) || lanes < 1) {
    throw new WgfuseError('registry.config.1', `${template}: blockSizes ${formatShape(ctx.config.blockSizes)} must be one positive integer, the lanes per row`);
  }
  return lanes;
}

/**
 * Whether a row-reduction call takes the vec4 path ([templates.reduction.vec4]): C a multiple of 4, the
 * tensor a multiple of 64 elements (so [codegen.vec4.1] leaves no scalar tail), and the row, in quads,
 * cached in registers at B lanes ([templates.reduction.cache]: ⌈C/4B⌉ quads, at most 32 elements a lane).
 * Static shapes and full-shape f32 operands are [codegen.vec4.1]'s own conditions.
 */
export function vectorRows(outShape: Shape, config: KernelConfig): boolean {
  const [lanes] = config.blockSizes;
  const cols = outShape.at(-1) ?? 1;
  if (lanes === undefined || !Number.isInteger(lanes) || lanes < 1) return false;
  return cols % 4 === 0 && numel(outShape) % 64 === 0 && cachedPerLane(cols / 4, lanes, 4) !== undefined;
}

/** The loads a lane caches of a row of `length` loads of `width` elements each at B lanes, if at most CACHE_CAP elements ([templates.reduction.cache]). */
function cachedPerLane(length: number, lanes: number, width: 1 | 4): number | undefined {
  const perLane = Math.max(1, Math.ceil(length / lanes));
  return width * perLane <= CACHE_CAP ? perLane : undefined;
}

/** How a row-reduction kernel lays rows over workgroups and lanes, and the statements that set it up. */
export interface RowLayout {
  /** B, lanes per row. */
  readonly lanes: number;
  /** Elements a lane loads at once: 1, or 4 on the vec4 path, where every index (lane, n, base, …) counts quads. */
  readonly width: 1 | 4;
  /** R, rows per workgroup: ⌊ctx.lanes / B⌋ when B is below PACK_BELOW and ctx.lanes, else 1 ([templates.reduction.rows]). */
  readonly packed: number;
  /** Workgroups: ⌈rows / R⌉. */
  readonly tiles: number;
  /** P = ⌈C/B⌉, the elements each lane caches, when the row is cached in registers; else undefined. */
  readonly cached: number | undefined;
  /** Whether a packed row may lie past the last row, so loads and stores are masked by `live`. */
  readonly masked: boolean;
  /** The row length: C, or C/4 quads on the vec4 path. */
  readonly length: number;
  /** The WGSL for the row length C, for formulas that need it (rmsnorm's mean). */
  readonly cols: () => string;
  /** `lane`, `row`, `seg` (packed), `live` (masked), `n` (the row length) and `base` (the row's first element). */
  readonly header: readonly string[];
}

/**
 * The layout of a row-reduction kernel. A size is static exactly when `ctx.size` gives a WGSL literal
 * ([shapes.dynamic.1]); only then may the register count depend on C. With `ctx.vector` the row is laid out
 * in quads ([templates.reduction.vec4]).
 */
export function rowLayout(ctx: TemplateContext, template: string): RowLayout {
  const lanes = lanesOf(ctx, template);
  const width = ctx.vector === undefined ? 1 : 4;
  const { rows, cols: elements } = rowsOf(ctx.outShape);
  const cols = elements / width;
  const packed = lanes < Math.min(ctx.lanes, PACK_BELOW) ? Math.floor(ctx.lanes / lanes) : 1;
  const n = ctx.size(cols);
  const isStatic = /^\d+u$/.test(n);
  const cached = isStatic ? cachedPerLane(cols, lanes, width) : undefined;
  if (width === 4 && (cached === undefined || elements % 4 !== 0)) {
    throw new WgfuseError('codegen.vec4.1', `${template}: the vec4 path needs rows of a multiple of 4 cached in registers; got rows of ${elements} at ${lanes} lanes`);
  }
  const masked = packed > 1 && (!isStatic || rows % packed !== 0);
  const header =
    packed === 1
      ? ['let lane = lid.x;', 'let row = tile; // one row per workgroup']
      : lanes === 1
        ? ['let lane = 0u; // one lane per row', `let row = tile * ${packed}u + lid.x; // packed rows: ${packed} rows of one lane per workgroup`]
        : [
            `let lane = lid.x % ${lanes}u;`,
            `let row = tile * ${packed}u + lid.x / ${lanes}u; // packed rows: ${packed} rows of ${lanes} lanes per workgroup`,
            'let seg = lid.x - lane; // packed rows: this row\'s segment of the partials',
          ];
  if (masked) header.push(`let live = row < ${ctx.size(rows)}; // row mask: a packed row past the last loads and stores nothing`);
  // Under the multi-pass loops, a row past the last has length 0: its loops load and store nothing.
  header.push(masked && cached === undefined ? `let n = select(0u, ${n}, live); // row length, 0 past the last row` : `let n = ${n}; // row length${width === 4 ? ' in quads' : ''}`);
  header.push(`let base = row * n; // this row's first ${width === 4 ? 'quad' : 'element'}`);
  return { lanes, width, packed, tiles: Math.ceil(rows / packed), cached, masked, length: cols, cols: () => ctx.size(elements), header };
}

/**
 * A loop of each lane over its elements of the row: j = lane, lane + B, … while j < n. The mask is the
 * loop bound, so a lane past the row's end loads nothing and still reaches every barrier.
 */
export function rowLoop(lanes: number, marker: string, body: readonly string[]): string[] {
  return [`for (var j = lane; j < n; j += ${lanes}u) { // ${marker}`, ...body.map((l) => `  ${l}`), '}'];
}

/** `terms` combined pairwise, as a balanced tree, so independent operations can overlap. */
export function balanced(terms: readonly string[], combine: (a: string, b: string) => string): string {
  let level = [...terms];
  while (level.length > 1) {
    const next: string[] = [];
    for (let k = 0; k < level.length; k += 2) next.push(k + 1 < level.length ? combine(level[k] ?? '', level[k + 1] ?? '') : (level[k] ?? ''));
    level = next;
  }
  return level[0] ?? '';
}

/** A vec4f's four components, to fold with `balanced` or `sumOf`. */
export function components(v: string): string[] {
  return [`${v}.x`, `${v}.y`, `${v}.z`, `${v}.w`];
}

/**
 * `let name = fold(terms);`, a lane's partial from its registers. On the vec4 path the registers are
 * quads, so they are folded by component into `name4` first, then its four components into `name`
 * ([templates.reduction.vec4]). `notes` are the trailing comments: of the quad fold, of the lane's value.
 */
export function foldLane(layout: RowLayout, name: string, terms: readonly string[], fold: (terms: readonly string[]) => string, notes: { readonly byComponent: string; readonly lane: string }): string[] {
  if (layout.width !== 4) return [`let ${name} = ${fold(terms)}; // ${notes.lane}`];
  return [`let ${name}4 = ${fold(terms)}; // ${notes.byComponent}`, `let ${name} = ${fold(components(`${name}4`))}; // ${notes.lane}`];
}

/** A sum of `terms`, balanced, without outer parentheses. */
export function sumOf(terms: readonly string[]): string {
  return balanced(terms, (a, b) => `(${a} + ${b})`).replace(/^\((.*)\)$/, '$1');
}

/** The fan-in of each level of the tree over B partials: a power of two G with G^L ≥ B, L = ⌈log2 B / 5⌉ levels. */
export function fanIn(lanes: number): { readonly levels: number; readonly fan: number } {
  let bits = 0;
  while (2 ** bits < lanes) bits += 1;
  const levels = Math.ceil(bits / 5);
  return { levels, fan: levels === 0 ? 1 : 2 ** Math.ceil(bits / levels) };
}

/**
 * Combines every lane's `value` over its row's B lanes into `result`, which every lane of the row gets.
 * The partials are published in the row's segment of `red` (one barrier); while more than G remain, the
 * first ⌈c/G⌉ lanes each fold G of them, strided, into their own slot (a barrier per level); then every
 * lane folds the last ≤ G itself, so no broadcast step follows. B = 1 needs no workgroup memory at all.
 * A lane writes only its own slot, which no other lane reads at that level.
 */
export function reduceRow(red: string, layout: RowLayout, value: string, result: string, combine: (a: string, b: string) => string): string[] {
  const { fan } = fanIn(layout.lanes);
  if (layout.lanes === 1) return [`let ${result} = ${value}; // one lane per row: nothing to combine`];
  const at = (offset: string): string => (layout.packed > 1 ? `${red}[seg + ${offset}]` : `${red}[${offset}]`);
  const lines = [`${at('lane')} = ${value};`, 'workgroupBarrier(); // every lane\'s partial is published'];
  let c = layout.lanes;
  while (c > fan) {
    const h = Math.ceil(c / fan);
    const full: string[] = [];
    const ragged: string[] = [];
    for (let k = 0; k * h < c; k++) {
      const offset = k === 0 ? 'lane' : `lane + ${k * h}u`;
      if (h - 1 + k * h < c) full.push(at(offset));
      else ragged.push(`  if (${offset} < ${c}u) { t = ${combine('t', at(offset))}; }`);
    }
    lines.push(`if (lane < ${h}u) { // tree level: ${c} partials to ${h}`, `  var t = ${balanced(full, combine)};`, ...ragged, `  ${at('lane')} = t;`, '}', 'workgroupBarrier();');
    c = h;
  }
  const terms = Array.from({ length: c }, (_, k) => at(`${k}u`));
  lines.push(`let ${result} = ${balanced(terms, combine)}; // tree, final level: every lane folds its row's last ${c}`);
  return lines;
}

/** The workgroup arrays of partials, R·B each (none for B = 1), and their size in bytes ([codegen.limits.5]). */
export function partials(names: readonly string[], layout: RowLayout): { readonly declarations?: string; readonly workgroupBytes: number } {
  if (layout.lanes === 1) return { workgroupBytes: 0 };
  const size = layout.packed * layout.lanes;
  return { declarations: names.map((name) => `var<workgroup> ${name}: array<f32, ${size}>; // one partial per lane`).join('\n'), workgroupBytes: 4 * size * names.length };
}

/** Register k of the cache holds element lane + k·B of the row; the one chunk past C − B is ragged. */
function chunks(layout: RowLayout): { readonly k: number; readonly offset: string; readonly ragged: boolean }[] {
  return Array.from({ length: layout.cached ?? 0 }, (_, k) => ({ k, offset: k === 0 ? 'lane' : `lane + ${k * layout.lanes}u`, ragged: (k + 1) * layout.lanes > layout.length }));
}

/** The statements under the row mask `live` when the layout has one. */
function underRowMask(layout: RowLayout, lines: readonly string[]): string[] {
  return layout.masked ? ['if (live) { // row mask', ...lines.map((l) => `  ${l}`), '}'] : [...lines];
}

/**
 * The one pass over memory of [templates.reduction.cache]: registers x0 … x(P−1), each set to `identity`,
 * then loaded through `load(i)`; the ragged chunk's mask `ok<k>` keeps its identity past the row's end.
 */
export function cacheLoads(layout: RowLayout, load: string, identity: string): { readonly lines: string[]; readonly regs: string[]; readonly ragged: Map<string, string> } {
  const all = chunks(layout);
  const what = layout.width === 4 ? 'quad (4 elements)' : 'element';
  const lines = [`// one pass over memory: x<k> caches ${what} lane + ${layout.lanes}·k of the row, k < ${all.length}`, all.map(({ k }) => `var x${k} = ${identity};`).join(' ')];
  const ragged = new Map<string, string>();
  const loads: string[] = [];
  for (const { k, offset, ragged: isRagged } of all) {
    const loadIt = `x${k} = ${load}(base + ${offset});`;
    if (!isRagged) {
      loads.push(loadIt);
      continue;
    }
    lines.push(`let ok${k} = ${offset} < n; // mask: the row's ragged end`);
    ragged.set(`x${k}`, `ok${k}`);
    loads.push(`if (ok${k}) { ${loadIt} }`);
  }
  return { lines: [...lines, ...underRowMask(layout, loads)], regs: all.map(({ k }) => `x${k}`), ragged };
}

/** Stores `value(x<k>, offset)` for each cached register, the ragged chunk and packed rows masked. */
export function cacheStores(layout: RowLayout, store: string, value: (reg: string, offset: string) => string): string[] {
  const lines = chunks(layout).map(({ k, offset, ragged }) => {
    const call = `${store}(base + ${offset}, ${value(`x${k}`, offset)});`;
    return ragged ? `if (${offset} < n) { ${call} } // store mask; store: normalized` : `${call} // store: normalized`;
  });
  return underRowMask(layout, lines);
}

import { bytesPerElement, formatShape, numel, sameShape, WgfuseError } from '../../spec/index.js';
import type { CallNode, DType, Graph, NodeId, Shape } from '../../spec/index.js';
import type { TemplateTable } from '../kernels/index.js';
import type { KernelPlan, Schedule, Section } from '../fusion/schedule.js';
import { sectionKey } from '../fusion/schedule.js';
import type { TemplateCode } from '../registry/template.js';
import type { CodegenLimits } from './limits.js';
import { broadcastIndexExpr, f32Literal, identifier, transposedIndexExpr, WGSL_OPS } from './render.js';
import { SizeTable } from './sizes.js';
import { quadRead, quadShape, quadSteps, quadsPerLane, vectorLayout, vectorViews, WGSL_OPS4 } from './vector.js';
import type { BindingView, VectorLayout } from './vector.js';

/** One generated compute kernel: its WGSL and how to launch it. */
export interface KernelSource {
  readonly name: string;
  readonly wgsl: string;
  /** Materialized nodes read, in binding order (bindings 0..n-1). */
  readonly reads: readonly NodeId[];
  /** The node stored, at binding `reads.length`. */
  readonly writes: NodeId;
  /** Nodes stored besides it (the call, when it is also returned), at the bindings after it. */
  readonly alsoWrites: readonly NodeId[];
  readonly grid: readonly [number, number, number];
  readonly plan: KernelPlan;
  /** Contents of the `sizes` uniform, at the binding after the stores; empty when shapes are static. */
  readonly sizes: Uint32Array;
  /**
   * A vec4 kernel's bindings ([codegen.vec4.1]): binding k is a byte range of buffer `of` of
   * [...reads, writes, ...alsoWrites]; absent, binding k is that list's buffer k, whole.
   */
  readonly views?: readonly BindingView[];
}

/** Which elements a section's WGSL handles: one (scalar), four (vec4), or one of the scalar tail. */
type Lanes = 'scalar' | 'vec4' | 'tail';
const SUFFIX: Readonly<Record<Lanes, string>> = { scalar: '', vec4: '', tail: '_tail' };

/**
 * The pointwise kernel's workgroup: 256 invocations where the device grants them (a core-level device),
 * else its limit (128 at the compatibility level) ([codegen.limits.1]).
 */
function pointwiseWorkgroup(limits: CodegenLimits): number {
  return Math.max(1, Math.min(256, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX));
}

export interface GenerateOptions {
  /**
   * Canonical text ([runtime.cache.2]): every extent and constant in the kernel's uniform, names local to
   * the kernel instead of node ids, so the same op on operands of the same ranks and broadcast pattern is
   * one WGSL text, and one pipeline, in any graph. The eager executor's kernels are generated this way.
   */
  readonly canonical?: boolean;
  /** The device has `shader-f16`; without it a kernel with an f16 tensor is an error ([codegen.f16.1]). */
  readonly f16?: boolean;
  /** false: scalar loads and stores only, never the vec4 path ([codegen.vec4.1]); for measuring what it buys. */
  readonly vec4?: boolean;
  /**
   * Fold every grid near-square, rows of at most ⌈√T⌉ workgroups (within the device's limit), so that the
   * 2-D tile index runs on small tensors too: how the suite exercises the fold on llvmpipe ([codegen.grid.2]).
   */
  readonly squareGrid?: boolean;
  /**
   * Quads every vec4 kernel's invocations take, lanes apart ([codegen.vec4.2]); absent, one.
   */
  readonly quadsPerLane?: 1 | 2 | 4 | 8;
}

/** How a kernel's text names nodes: by id, or (canonical) by order of first mention in the kernel. */
class Names {
  private readonly local = new Map<NodeId, number>();

  constructor(private readonly canonical: boolean) {}

  readonly of = (id: NodeId): string => {
    if (!this.canonical) return String(id);
    let k = this.local.get(id);
    if (k === undefined) this.local.set(id, (k = this.local.size));
    return String(k);
  };
}

/** The bits of an f32, for a constant carried in the u32 uniform. */
function f32Bits(value: number): number {
  return new Uint32Array(Float32Array.of(value).buffer)[0] as number;
}

/** Prints the statements of one section (a load hook or the store hook) and names its result. */
class SectionWriter {
  readonly lines: string[] = [];
  private readonly loaded = new Map<NodeId, string>();

  constructor(
    private readonly graph: Graph,
    private readonly inlined: ReadonlySet<NodeId>,
    private readonly shape: Shape,
    private readonly buffer: (id: NodeId) => string,
    private readonly acc: NodeId | undefined,
    private readonly sizes: SizeTable,
    private readonly names: Names,
    private readonly canonical: boolean,
    private readonly lanes: Lanes = 'scalar',
    /** The tail's first element, 4·quads: a value bound whole finds tail element i at its index i + tailStart. */
    private readonly tailStart = 0,
  ) {}

  /**
   * Where element (or, in a vec4 section, quad) `i` of the section reads a value of `shape` ([codegen.vec4.3]),
   * and whether the one element read is splat over the quad.
   */
  private indexOf(shape: Shape): { readonly index: string; readonly note: string; readonly splat: boolean } {
    const at = (index: string, from: Shape, within: Shape): string => broadcastIndexExpr(index, from, within, this.sizes.ref);
    if (this.lanes === 'scalar' || sameShape(shape, this.shape)) return { index: at('i', shape, this.shape), note: '', splat: false };
    if (this.lanes === 'tail') return { index: at(`(i + ${this.sizes.ref(this.tailStart)})`, shape, this.shape), note: ', broadcast: bound whole, tail element i is element i + 4·quads', splat: false };
    if (quadRead(shape, this.shape) === 'splat') return { index: at('(i * 4u)', shape, this.shape), note: ', broadcast along the row: one value splat over the quad', splat: true };
    return { index: at('i', quadShape(shape), quadShape(this.shape)), note: ', broadcast in quads', splat: false };
  }

  ref(id: NodeId): string {
    const node = this.graph.nodes[id];
    if (node?.kind === 'const') {
      const value = this.canonical ? `bitcast<f32>(${this.sizes.ref(f32Bits(node.value))})` : f32Literal(node.value);
      return this.lanes === 'vec4' ? `vec4f(${value})` : value;
    }
    if (id === this.acc) return 'acc';
    if (this.inlined.has(id)) return `v${this.names.of(id)}`;
    let name = this.loaded.get(id);
    if (name === undefined) {
      name = `l${this.names.of(id)}`;
      const { index, note, splat } = this.indexOf(node?.shape ?? []);
      const load = widened(node?.dtype, `${this.buffer(id)}${SUFFIX[this.lanes]}[${index}]`);
      this.lines.push(`let ${name} = ${splat ? `vec4f(${load})` : load}; // %${this.names.of(id)} ${this.sizes.note(node?.shape ?? [])}${note}`);
      this.loaded.set(id, name);
    }
    return name;
  }

  compute(id: NodeId): void {
    const node = this.graph.nodes[id];
    if (node?.kind === 'transpose') {
      // A load of the (materialized) operand at the transposed index of this element ([ir.transpose.1]).
      const operand = node.args[0] as NodeId;
      const own = broadcastIndexExpr('i', node.shape, this.shape, this.sizes.ref);
      this.lines.push(`let v${this.names.of(id)} = ${widened(node.dtype, `${this.buffer(operand)}[${transposedIndexExpr(`(${own})`, node.shape, this.sizes.ref)}]`)}; // %${this.names.of(id)} transpose`);
      return;
    }
    if (node?.kind !== 'op') throw new WgfuseError('codegen.internal', `%${id} is inlined but is not an elementwise op`);
    const [a = '', b = ''] = node.args.map((x) => this.ref(x));
    const ops = this.lanes === 'vec4' ? WGSL_OPS4 : WGSL_OPS;
    this.lines.push(`let v${this.names.of(id)} = ${ops[node.op](a, b)}; // %${this.names.of(id)} ${node.op}`);
  }
}

/** A load as f32: the arithmetic type whatever the buffer's ([numerics.f16.1]). */
function widened(dtype: DType | undefined, load: string): string {
  return dtype === 'f16' ? `f32(${load})` : load;
}

/** A store into a buffer of `dtype`: an f16 buffer rounds here ([numerics.f16.2]). */
function narrowed(dtype: DType | undefined, value: string): string {
  return dtype === 'f16' ? `f16(${value})` : value;
}

function indent(lines: readonly string[]): string {
  return lines.map((l) => `  ${l}`).join('\n');
}

function checkLimits(name: string, code: TemplateCode, bindingBytes: readonly number[], limits: CodegenLimits, squareGrid: boolean): [number, number, number] {
  const bindings = bindingBytes.length;
  const largest = Math.max(...bindingBytes);
  if (largest > limits.maxStorageBufferBindingSize) {
    throw new WgfuseError(
      'codegen.limits.4',
      `${name}: a tensor of ${largest} bytes exceeds the device's maxStorageBufferBindingSize of ${limits.maxStorageBufferBindingSize} bytes. ` +
        'hint: request a larger limit from the adapter, or split the tensor',
    );
  }
  const [x, y, z] = code.workgroupSize;
  const invocations = x * y * z;
  if (x > limits.maxComputeWorkgroupSizeX || y > limits.maxComputeWorkgroupSizeY || z > limits.maxComputeWorkgroupSizeZ || invocations > limits.maxComputeInvocationsPerWorkgroup) {
    throw new WgfuseError(
      'codegen.limits.1',
      `${name}: workgroup ${x}x${y}x${z} (${invocations} invocations) exceeds the device's limits ` +
        `(x ≤ ${limits.maxComputeWorkgroupSizeX}, y ≤ ${limits.maxComputeWorkgroupSizeY}, total ≤ ${limits.maxComputeInvocationsPerWorkgroup}). hint: pick smaller block sizes`,
    );
  }
  const shared = code.workgroupBytes ?? 0;
  if (shared > limits.maxComputeWorkgroupStorageSize) {
    throw new WgfuseError(
      'codegen.limits.5',
      `${name}: needs ${shared} bytes of workgroup memory; the device allows ${limits.maxComputeWorkgroupStorageSize}. hint: pick smaller block sizes`,
    );
  }
  if (bindings > limits.maxStorageBuffersPerShaderStage) {
    throw new WgfuseError('codegen.limits.2', `${name}: needs ${bindings} storage buffers; the device allows ${limits.maxStorageBuffersPerShaderStage} per shader stage`);
  }
  const perDim = limits.maxComputeWorkgroupsPerDimension;
  return foldGrid(name, code.tiles, squareGrid ? Math.min(perDim, Math.ceil(Math.sqrt(code.tiles))) : perDim);
}

/**
 * The tiles as a grid ([codegen.grid.1], [codegen.grid.2]): one row when they fit a dimension, else the
 * fewest rows gy that hold them and the narrowest row gx = ⌈T/gy⌉, so gx·gy − T < gy workgroups idle
 * (folding as [min(T, 65535), ⌈T/65535⌉] idles up to 65534, each costing a launch).
 */
export function foldGrid(name: string, tiles: number, perDim: number): [number, number, number] {
  const gy = Math.max(1, Math.ceil(tiles / perDim));
  const gx = Math.ceil(tiles / gy);
  if (gy > perDim) throw new WgfuseError('codegen.limits.3', `${name}: ${tiles} workgroups do not fit a ${perDim}x${perDim} grid`);
  return [gx, gy, 1];
}

/**
 * The pointwise kernel's entry: one element per invocation, or ([codegen.vec4.1]) four per invocation
 * through `store_out4`, then one element of the scalar tail per invocation after them.
 */
function pointwiseCode(n: number, lanes: number, layout: VectorLayout | undefined, size: (v: number) => string): TemplateCode {
  if (layout === undefined) {
    return {
      workgroupSize: [lanes, 1, 1],
      tiles: Math.ceil(n / lanes),
      body: [`let i = tile * ${lanes}u + lid.x;`, `if (i >= ${size(n)}) { return; } // bounds guard: ragged tail`, 'store_out(i);'].join('\n'),
    };
  }
  const { quads, tail } = layout;
  const u = quadsPerLane(layout);
  const body = [
    `let first = tile * ${lanes * u}u + lid.x; // ${u} quad(s) of 4 elements a lane`,
    ...quadSteps('first', u, lanes, size(quads), tail === 0 ? undefined : size(tail), (i) => `store_out4(${i});`, (t) => `store_out(${t});`),
  ];
  return { workgroupSize: [lanes, 1, 1], tiles: Math.ceil((quads + tail) / (lanes * u)), body: body.join('\n') };
}

/**
 * WGSL for one kernel of a schedule ([codegen.wgsl.1]): bindings, a load hook per template argument with
 * its prologue, a store hook with the epilogue, and the template's (or the pointwise) entry point.
 */
export function generateKernel(schedule: Schedule, index: number, templates: TemplateTable, limits: CodegenLimits, options: GenerateOptions = {}): KernelSource {
  const canonical = options.canonical === true;
  const names = new Names(canonical);
  const { graph } = schedule;
  const plan = schedule.kernels[index];
  if (plan === undefined) throw new WgfuseError('codegen.internal', `no kernel ${index} in the schedule`);
  const root = graph.nodes[plan.root];
  const outShape = root?.shape ?? [];
  const bySection = new Map<string, NodeId[]>();
  for (const { node, section } of plan.inlined) bySection.set(sectionKey(section), [...(bySection.get(sectionKey(section)) ?? []), node]);
  const inlined = new Set(plan.inlined.map((p) => p.node));
  const sizes = new SizeTable(canonical || hasDynamicShapes(graph, plan));

  const reads: NodeId[] = [];
  const bufferName = new Map<NodeId, string>();
  const buffer = (id: NodeId): string => {
    let name = bufferName.get(id);
    if (name === undefined) {
      const node = graph.nodes[id];
      name = canonical ? `src${bufferName.size}` : `src_${node?.kind === 'input' ? `${identifier(node.name)}_${id}` : `t${id}`}`;
      bufferName.set(id, name);
      reads.push(id);
    }
    return name;
  };
  const writeSection = (section: Section, result: NodeId, shape: Shape, acc: NodeId | undefined, lanes: Lanes): SectionWriter => {
    const w = new SectionWriter(graph, inlined, shape, buffer, acc, sizes, names, canonical, lanes, 4 * (layout?.quads ?? 0));
    for (const id of bySection.get(sectionKey(section)) ?? []) w.compute(id);
    if (section.part === 'prologue') w.lines.push(`return ${w.ref(result)};`);
    else {
      w.lines.push(`dst${SUFFIX[lanes]}[i] = ${narrowed(graph.nodes[result]?.dtype, w.ref(result))};`);
      for (const id of plan.alsoStored) w.lines.push(`dst_t${names.of(id)}${SUFFIX[lanes]}[i] = ${narrowed(graph.nodes[id]?.dtype, w.ref(id))}; // %${names.of(id)} is also returned: second store`);
    }
    return w;
  };

  const call = plan.call === undefined ? undefined : (graph.nodes[plan.call] as CallNode);
  const template = call === undefined ? undefined : templates.get(call.semantics);
  if (call !== undefined && template === undefined) throw new WgfuseError('ir.call.1', `%${call.id}: the reference has no template for kernel semantics '${call.semantics}'`);
  const vectorizes = template?.vectorizes;
  const argShapes = call === undefined ? [] : call.args.map((a) => graph.nodes[a]?.shape ?? []);
  const templateVectorizes = call !== undefined && (typeof vectorizes === 'function' ? vectorizes(outShape, call.config, { argShapes, lanes: pointwiseWorkgroup(limits) }) : vectorizes === true);
  const found = options.vec4 === false ? undefined : vectorLayout(graph, plan, sizes.dynamic, templateVectorizes, limits);
  const layout = found === undefined || options.quadsPerLane === undefined ? found : { ...found, perLane: options.quadsPerLane };
  // A vec4 kernel has each hook twice: on vec4f (named with a 4), and on f32 for its scalar tail.
  const passes: Lanes[] = layout === undefined ? ['scalar'] : layout.tail > 0 ? ['vec4', 'tail'] : ['vec4'];
  const typeOf = (lanes: Lanes): string => (lanes === 'vec4' ? 'vec4f' : 'f32');
  const hookName = (hook: string, lanes: Lanes): string => (lanes === 'vec4' ? `${hook}4` : hook);
  const hooks: string[] = [];
  let code: TemplateCode;
  let title: string;
  if (call !== undefined && template !== undefined) {
    const loadHooks = template.argNames.map((n) => `load_${identifier(n)}`);
    for (const lanes of passes) {
      call.args.forEach((arg, k) => {
        const w = writeSection({ part: 'prologue', arg: k }, arg, graph.nodes[arg]?.shape ?? [], undefined, lanes);
        hooks.push(`fn ${hookName(loadHooks[k] ?? '', lanes)}(i: u32) -> ${typeOf(lanes)} {\n${indent(w.lines)}\n}`);
      });
      const store = writeSection({ part: 'body' }, plan.root, outShape, plan.call, lanes);
      hooks.push(`fn ${hookName('store_out', lanes)}(i: u32, acc: ${typeOf(lanes)}) {\n${indent(store.lines)}\n}`);
    }
    const vector = layout === undefined ? undefined : { ...layout, loadHooks: loadHooks.map((h) => `${h}4`), storeHook: 'store_out4' };
    code = template.emit({ argShapes, outShape, config: call.config, loadHooks, storeHook: 'store_out', size: sizes.ref, lanes: pointwiseWorkgroup(limits), ...(vector === undefined ? {} : { vector }) });
    title = canonical ? `${template.id}, blocks [${call.config.blockSizes.join(',')}]` : `${call.kernel} (${template.id}, config '${call.configKey}') at %${plan.call}`;
  } else {
    for (const lanes of passes) {
      const store = writeSection({ part: 'body' }, plan.root, outShape, undefined, lanes);
      hooks.push(`fn ${hookName('store_out', lanes)}(i: u32) {\n${indent(store.lines)}\n}`);
    }
    code = pointwiseCode(numel(outShape), pointwiseWorkgroup(limits), layout, sizes.ref);
    title = 'pointwise';
  }

  const name = canonical ? 'k' : `k${index}`;
  const stored = [...reads, plan.root, ...plan.alsoStored];
  const bytes = stored.map((id) => numel(graph.nodes[id]?.shape ?? []) * bytesPerElement(graph.nodes[id]?.dtype ?? 'f32'));
  const grid = checkLimits(`kernel ${name} (${title})`, code, passes.includes('tail') ? [...bytes, ...bytes] : bytes, limits, options.squareGrid === true);
  const f16 = stored.some((id) => graph.nodes[id]?.dtype === 'f16') || plan.inlined.some(({ node }) => graph.nodes[node]?.dtype === 'f16');
  if (f16 && options.f16 !== true) {
    throw new WgfuseError('codegen.f16.1', `kernel ${name} (${title}) has f16 tensors, and the device was not created with the 'shader-f16' feature. hint: request it (the adapter must have it)`);
  }
  const element = (id: NodeId, lanes: Lanes): string => (lanes === 'vec4' && !(layout?.splat ?? []).includes(id) ? 'vec4f' : graph.nodes[id]?.dtype === 'f16' ? 'f16' : 'f32');
  const bindings: string[] = [];
  for (const lanes of passes) {
    const at = (k: number): number => (lanes === 'tail' ? stored.length : 0) + k;
    const sfx = SUFFIX[lanes];
    reads.forEach((id, b) => bindings.push(`@group(0) @binding(${at(b)}) var<storage, read> ${bufferName.get(id)}${sfx}: array<${element(id, lanes)}>;`));
    bindings.push(`@group(0) @binding(${at(reads.length)}) var<storage, read_write> dst${sfx}: array<${element(plan.root, lanes)}>; // %${names.of(plan.root)} ${sizes.note(outShape)}${layout === undefined ? '' : lanes === 'tail' ? `, its last ${layout.tail}` : `, its first ${4 * layout.quads} as vec4`}`);
    plan.alsoStored.forEach((id, j) => bindings.push(`@group(0) @binding(${at(reads.length + 1 + j)}) var<storage, read_write> dst_t${names.of(id)}${sfx}: array<${element(id, lanes)}>; // %${names.of(id)}`));
  }
  const [wx, wy, wz] = code.workgroupSize;
  const entry = [
    `@compute @workgroup_size(${wx}, ${wy}, ${wz})`,
    'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {',
    `  let tile = wg.x + wg.y * ${sizes.ref(grid[0])};`,
    `  if (tile >= ${sizes.ref(code.tiles)}) { return; } // grid guard`,
    indent(code.body.split('\n')),
    '}',
    '',
  ];
  // Declared last, once every size has been handed its slot.
  const uniform = sizes.declaration(reads.length + 1 + plan.alsoStored.length);
  const wgsl = [
    ...(f16 ? ['enable f16;'] : []),
    `// wgfuse kernel ${name}: ${title}, stores %${names.of(plan.root)}${canonical ? ', canonical' : sizes.dynamic ? ', dynamic shapes' : ''}`,
    ...bindings,
    ...(uniform === undefined ? [] : [uniform]),
    '',
    ...(code.declarations === undefined ? [] : [code.declarations, '']),
    ...hooks.flatMap((h) => [h, '']),
    ...entry,
  ].join('\n');
  const wholes = stored.map((id) => {
    const shape = graph.nodes[id]?.shape ?? [];
    return sameShape(shape, outShape) ? undefined : numel(shape);
  });
  const views = layout === undefined ? undefined : vectorViews(wholes, layout);
  return { name, wgsl, reads, writes: plan.root, alsoWrites: plan.alsoStored, grid, plan, sizes: sizes.data(), ...(views === undefined ? {} : { views }) };
}

/**
 * Whether a kernel's sizes go into a uniform ([shapes.dynamic.1]): a template kernel follows its call's
 * `staticShapes` setting; a pointwise kernel is dynamic when any call in the graph is.
 */
function hasDynamicShapes(graph: Graph, plan: KernelPlan): boolean {
  const call = plan.call === undefined ? undefined : graph.nodes[plan.call];
  if (call?.kind === 'call') return !call.settings.staticShapes;
  return graph.nodes.some((n) => n.kind === 'call' && !n.settings.staticShapes);
}

/** Every kernel of a schedule, in launch order. */
export function generateProgram(schedule: Schedule, templates: TemplateTable, limits: CodegenLimits, options: GenerateOptions = {}): KernelSource[] {
  return schedule.kernels.map((_, k) => generateKernel(schedule, k, templates, limits, options));
}

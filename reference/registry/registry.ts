import { checkCall, WgfuseError } from '../../spec/index.js';
import type { DType, GraphBuilder, KernelConfig, KernelSettings, NodeId, Shape } from '../../spec/index.js';
import type { KernelCatalog, RegisteredKernel } from '../../spec/index.js';
import { TEMPLATES } from '../kernels/index.js';
import type { TemplateTable } from '../kernels/index.js';
import type { KernelTemplate } from './template.js';

/** What a config picker sees of each argument. */
export interface ArgInfo {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Maps a call's arguments to a config key; undefined falls back to 'default' ([registry.config.3]). */
export type ConfigPicker = (args: readonly ArgInfo[], keys: readonly string[]) => string | undefined;

export interface KernelSpec {
  readonly template: KernelTemplate;
  /** Absent: the template's tuned configs and picker ([registry.config.4]). */
  readonly configs?: Readonly<Record<string, KernelConfig>>;
  readonly configPicker?: ConfigPicker;
  readonly settings?: Partial<KernelSettings>;
}

export interface KernelDefinition {
  readonly name: string;
  readonly template: KernelTemplate;
  readonly configs: Readonly<Record<string, KernelConfig>>;
  readonly configPicker: ConfigPicker;
  readonly settings: KernelSettings;
}

/** A traced tensor as the registry sees it: where it lives and how to wrap a new node like it. */
export interface Traced {
  readonly builder: GraphBuilder;
  readonly id: NodeId;
  derive(id: NodeId): this;
}

export type KernelFn = <T extends Traced>(...args: T[]) => T;

export const DEFAULT_SETTINGS: KernelSettings = { fusion: true, staticShapes: true };

function isTraced(value: unknown): value is Traced {
  return typeof value === 'object' && value !== null && 'builder' in value && 'id' in value && 'derive' in value;
}

const SPEC_KEYS = ['template', 'configs', 'configPicker', 'settings'];
const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS);

/** A registration names only what register() takes, with settings of the right type ([registry.settings.2]). */
function checkSpec(name: string, spec: KernelSpec): void {
  const unknown = (keys: string[], known: string[], where: string): void => {
    const bad = keys.find((k) => !known.includes(k));
    if (bad !== undefined) throw new WgfuseError('registry.settings.2', `${name}: ${where} has no key '${bad}'. hint: the keys are ${known.join(', ')}`);
  };
  unknown(Object.keys(spec), SPEC_KEYS, 'a registration');
  if (spec.template === undefined || typeof spec.template.emit !== 'function') throw new WgfuseError('registry.settings.2', `${name}: 'template' must be a kernel template`);
  if (spec.configs === undefined) {
    if (spec.template.tuned === undefined) throw new WgfuseError('registry.config.4', `${name}: no configs given, and ${spec.template.id} has no tuned configs of its own. hint: pass configs: { default: { blockSizes: [...] } }`);
  } else if (typeof spec.configs !== 'object' || spec.configs === null) throw new WgfuseError('registry.settings.2', `${name}: 'configs' must be an object of named configs`);
  if (spec.configPicker !== undefined && typeof spec.configPicker !== 'function') throw new WgfuseError('registry.settings.2', `${name}: 'configPicker' must be a function`);
  const settings: Readonly<Record<string, unknown>> = spec.settings ?? {};
  unknown(Object.keys(settings), SETTING_KEYS, "'settings'");
  for (const [key, value] of Object.entries(settings)) {
    if (typeof value !== 'boolean') throw new WgfuseError('registry.settings.2', `${name}: settings.${key} must be true or false, got ${JSON.stringify(value)}`);
  }
}

function checkConfig(name: string, key: string, config: KernelConfig, template: KernelTemplate): void {
  const sizes = config.blockSizes;
  if (!Array.isArray(sizes) || sizes.length !== template.blockRank || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new WgfuseError(
      'registry.config.1',
      `${name}: config '${key}' has blockSizes ${JSON.stringify(sizes)}; ${template.id} needs ${template.blockRank} positive integers`,
    );
  }
}

/**
 * Kernels registered by name (spec/tracing.md). Calling a registered kernel on traced tensors records
 * one call node; the kernel body is never traced into ([trace.call.1]).
 */
export class Registry {
  private readonly table = new Map<string, KernelDefinition>();

  register(name: string, spec: KernelSpec): KernelFn {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new WgfuseError('registry.name.2', `kernel name '${name}' is not an identifier`);
    }
    if (this.table.has(name)) {
      throw new WgfuseError('registry.name.1', `kernel '${name}' is already registered. hint: pick another name or use a new registry`);
    }
    checkSpec(name, spec);
    // [registry.config.4]: no configs given, the template's tuned ones and, unless one is given, its picker.
    const tuned = spec.configs === undefined ? spec.template.tuned : undefined;
    const configs = spec.configs ?? tuned?.configs ?? {};
    const keys = Object.keys(configs);
    if (keys.length === 0) throw new WgfuseError('registry.config.1', `${name}: no configs given; at least one is needed`);
    for (const key of keys) checkConfig(name, key, configs[key] as KernelConfig, spec.template);
    const definition: KernelDefinition = {
      name,
      template: spec.template,
      configs: { ...configs },
      configPicker: spec.configPicker ?? tuned?.picker ?? (() => undefined),
      settings: { ...DEFAULT_SETTINGS, ...spec.settings },
    };
    this.table.set(name, definition);
    return (...args) => this.record(definition, args);
  }

  get(name: string): KernelDefinition {
    const def = this.table.get(name);
    if (def === undefined) {
      throw new WgfuseError('registry.name.3', `no kernel named '${name}' is registered. hint: registered: ${[...this.table.keys()].join(', ') || 'none'}`);
    }
    return def;
  }

  has(name: string): boolean {
    return this.table.has(name);
  }

  /** What an implementation is handed: each registered kernel as plain data, its semantics by id. */
  get kernels(): KernelCatalog {
    const catalog = new Map<string, RegisteredKernel>();
    for (const d of this.table.values()) {
      catalog.set(d.name, { name: d.name, semantics: d.template.id, configs: d.configs, settings: d.settings });
    }
    return catalog;
  }

  /** The reference's templates by semantic id, with any user-defined ones registered here ([registry.template.1]). */
  get templates(): TemplateTable {
    const table = new Map(TEMPLATES);
    for (const d of this.table.values()) table.set(d.template.id, d.template);
    return table;
  }

  /** Picks the config key for a call ([registry.config.2], [registry.config.3]). */
  pick(def: KernelDefinition, args: readonly ArgInfo[]): string {
    const keys = Object.keys(def.configs);
    const picked = def.configPicker(args, keys) ?? (Object.hasOwn(def.configs, 'default') ? 'default' : undefined);
    if (picked === undefined) {
      throw new WgfuseError('registry.config.3', `${def.name}: the picker chose no config and there is no 'default' key. hint: keys are ${keys.join(', ')}`);
    }
    if (!Object.hasOwn(def.configs, picked)) {
      throw new WgfuseError('registry.config.2', `${def.name}: the picker returned '${picked}', which is not a config key. hint: keys are ${keys.join(', ')}`);
    }
    return picked;
  }

  private record<T extends Traced>(def: KernelDefinition, args: readonly T[]): T {
    const t = def.template;
    const subject = `${def.name}(${args.map((a) => (isTraced(a) ? `%${a.id}` : String(a))).join(', ')})`;
    const first = args[0];
    // Only here can an argument be something other than a node: a number, or a tensor of another trace.
    if (args.length === 0 && t.arity > 0) throw new WgfuseError('registry.call.1', `${subject}: ${def.name} takes ${t.arity} tensor(s), got 0`);
    args.forEach((a, k) => {
      if (!isTraced(a) || a.builder !== first?.builder) {
        throw new WgfuseError('registry.call.4', `${subject}: argument ${k} is not a tensor of this trace. hint: call kernels inside trace() on its tensors`);
      }
    });
    const builder = (first as T).builder;
    const infos: ArgInfo[] = args.map((a) => builder.node(a.id));
    const shape = checkCall(t, args.map((a) => builder.node(a.id)), subject, def.name);
    const configKey = this.pick(def, infos);
    const id = builder.call({
      kernel: def.name,
      semantics: t.id,
      configKey,
      config: def.configs[configKey] as KernelConfig,
      settings: def.settings,
      args: args.map((a) => a.id),
      // checkCall holds every argument to one dtype the kernel takes; the output has it ([registry.call.2]).
      dtype: builder.node((first as T).id).dtype,
      shape,
    }, t);
    return (first as T).derive(id);
  }
}

export function createRegistry(): Registry {
  return new Registry();
}

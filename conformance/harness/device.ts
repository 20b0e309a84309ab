import type { DeviceNeeds } from '../../spec/implementation.js';
import { envVar, inNode, readBrowserMessages } from './runtime.js';
import { withTimeout } from './timeout.js';
/**
 * Device acquisition (spec/capabilities.md [harness.device.*]), owned by the harness: the suite never
 * depends on an implementation, the reference included, for the device it judges on. Tries WebGPU implementations in a fixed
 * order and records why each one that failed did, so a machine without an adapter explains itself
 * instead of crashing. Facts this relies on are in shared/notes/webgpu-on-linux.md.
 */

export type BackendChoice = 'auto' | 'navigator' | 'vulkan' | 'opengl' | 'opengles' | 'null';
export type Backend = Exclude<BackendChoice, 'auto'>;
type DawnBackend = Exclude<Backend, 'navigator'>;

/** hardware: a real GPU; software: a CPU rasterizer (llvmpipe, lavapipe, SwiftShader); validation: compiles, never executes. */
export type Tier = 'hardware' | 'software' | 'validation';
export type FeatureLevel = 'core' | 'compatibility';

/** One backend that was tried and gave no device, with the reason ('auto' when the choice itself was bad). */
export interface Attempt {
  readonly backend: BackendChoice;
  readonly message: string;
}

export interface GpuSummary {
  /** [harness.browser.3] Where WebGPU came from and what executes it: chromium-swiftshader, dawn-vulkan-swiftshader, dawn-opengl-llvmpipe, ... */
  readonly configuration: string;
  /** The JavaScript runtime the harness ran in: a browser page has navigator.gpu alone. */
  readonly runtime: 'node' | 'browser';
  readonly description: string;
  /** Dawn's GL backend puts the renderer here (e.g. llvmpipe), not in description. */
  readonly device: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly featureLevel: FeatureLevel;
  /** Features of the device (not the adapter): the harness requests none, so these are the defaults. */
  readonly features: readonly string[];
  /** Features the adapter offers ([harness.caps.3]): a device has one of them only if it is requested. */
  readonly adapterFeatures: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
}

export interface Gpu {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly backend: Backend;
  readonly tier: Tier;
  readonly summary: GpuSummary;
  /** The attempts that failed before this one succeeded. */
  readonly attempts: readonly Attempt[];
  readonly lost: Promise<GPUDeviceLostInfo>;
  /** Set once `lost` resolves, so callers can check synchronously. */
  lostInfo: GPUDeviceLostInfo | undefined;
  /** Every error that reached device.onuncapturederror, in order. */
  readonly uncapturedErrors: string[];
  /** The declared needs of the implementation under test that this adapter cannot meet, each with why. */
  readonly unmetNeeds: readonly string[];
}

export type GpuAcquisition = { readonly ok: true; readonly gpu: Gpu } | { readonly ok: false; readonly attempts: readonly Attempt[] };

/** The limits reports print and gates check most often. */
export const KEY_LIMITS = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxUniformBufferBindingSize',
] as const;

/** Dawn on llvmpipe answers in ~30 ms; a driver that takes this long is treated as hung. */
export const ATTEMPT_TIMEOUT_MS = 20_000;

const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'navigator', 'vulkan', 'opengl', 'opengles', 'null'];
// Dawn's GL backends exist only at the compatibility feature level (core gives no adapter).
const DAWN_ORDER: readonly (readonly [DawnBackend, FeatureLevel])[] = [
  ['vulkan', 'core'],
  ['opengl', 'compatibility'],
  ['opengles', 'compatibility'],
  ['null', 'core'],
];

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

/** The adapter info fields tiering reads (a subset of GPUAdapterInfo, so tests can pass plain objects). */
export type AdapterIdentity = Pick<GPUAdapterInfo, 'description' | 'device' | 'vendor' | 'architecture'> & { readonly isFallbackAdapter?: boolean };

/**
 * [harness.device.2] null backend → validation; a fallback adapter or a known CPU rasterizer →
 * software; anything else → hardware. Dawn's GL backend names the renderer only in `device`
 * ("llvmpipe-llvm-15-0-6-256-bits-"), its `description` is the GL version, so all fields are searched.
 */
export function tierOf(backend: Backend, info: AdapterIdentity): Tier {
  if (backend === 'null') return 'validation';
  const identity = [info.description, info.device, info.vendor, info.architecture].join(' ');
  if (info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software rasterizer/i.test(identity)) return 'software';
  return 'hardware';
}

/**
 * [harness.browser.3], [harness.config.1] A configuration's name, `<implementation>-<adapter>`: the WebGPU
 * implementation (`dawn-gl`, `dawn-gles`, `dawn-vulkan`, `dawn-null`; for navigator.gpu, `wgpu` in Deno,
 * else the browser from its user agent), then the CPU rasterizer by name (Mesa's Vulkan llvmpipe is
 * lavapipe), else the adapter's first word (a GPU's maker). WGFUSE_CONFIGURATION overrides it
 * (conformance/harness/configuration.ts).
 */
export function configurationOf(backend: Backend, info: AdapterIdentity, userAgent: string | undefined): string {
  if (backend === 'null') return 'dawn-null';
  const ua = userAgent ?? '';
  const host =
    backend !== 'navigator'
      ? `dawn-${{ opengl: 'gl', opengles: 'gles', vulkan: 'vulkan' }[backend]}`
      : /Deno\//.test(ua) || 'Deno' in globalThis
        ? 'wgpu'
        : /Chrom(e|ium)\//.test(ua)
          ? 'chromium'
          : /Firefox\//.test(ua)
            ? 'firefox'
            : 'browser';
  const identity = [info.description, info.device, info.vendor, info.architecture].join(' ');
  // Mesa's Vulkan driver calls itself llvmpipe too; its Vulkan vendor id 0x10005 tells it apart.
  const lavapipe = backend === 'vulkan' || (backend === 'navigator' && (info.vendor === '65541' || info.vendor === '0x10005'));
  const known = /lavapipe|swiftshader|llvmpipe/i.exec(identity)?.[0]?.toLowerCase();
  const adapter = known === 'llvmpipe' && lavapipe ? 'lavapipe' : (known ?? (info.description.split(/[\s(,]/)[0] || info.vendor || 'hardware').toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  return `${host}-${adapter}`;
}

/** This run's configuration for an adapter: WGFUSE_CONFIGURATION, else the name configurationOf derives. */
export function configurationFor(backend: Backend, info: AdapterIdentity): string {
  return envVar('WGFUSE_CONFIGURATION') || configurationOf(backend, info, (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent);
}

/**
 * The adapter's name for reports and reasons ([harness.caps.2]): Dawn's GL backend names the renderer in
 * `device`; wgpu puts a PCI id there ("0") and the name in `description`, so a bare number is not a name.
 */
export function adapterLabel(s: Pick<GpuSummary, 'description' | 'device'> & { readonly vendor?: string; readonly architecture?: string }): string {
  if (s.device !== '' && !/^(0x)?[0-9a-f]+$/i.test(s.device)) return s.device;
  if (s.description !== '') return s.description;
  // A browser gives neither (Chromium: vendor 'google', architecture 'swiftshader').
  const maker = [s.vendor ?? '', s.architecture ?? ''].filter((x) => x !== '' && !/^(0x)?[0-9a-f]+$/i.test(x)).join(' ');
  return maker !== '' ? maker : 'the adapter';
}

/** What to request of `adapter` for `wanted`, and what of it the adapter cannot give ([interface.needs.1]). */
export function deviceRequest(adapter: Pick<GPUAdapter, 'limits' | 'features'>, wanted: DeviceNeeds | undefined): { descriptor: GPUDeviceDescriptor; unmet: string[] } {
  const unmet: string[] = [];
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number | undefined>;
  for (const [name, value] of Object.entries(wanted?.limits ?? {})) {
    const have = adapterLimits[name];
    const atMost = name.startsWith('min');
    if (have === undefined) unmet.push(`limit ${name}: the adapter does not report it`);
    else if (atMost ? have > value : have < value) unmet.push(`limit ${name} ${atMost ? '<=' : '>='} ${value}: the adapter allows ${have}`);
    else requiredLimits[name] = value;
  }
  const requiredFeatures: string[] = [];
  for (const f of wanted?.features ?? []) (adapter.features.has(f) ? requiredFeatures.push(f) : unmet.push(`feature '${f}': the adapter does not have it`));
  for (const f of wanted?.optionalFeatures ?? []) if (adapter.features.has(f)) requiredFeatures.push(f);
  return { descriptor: { requiredLimits, requiredFeatures: [...new Set(requiredFeatures)] as GPUFeatureName[] }, unmet };
}

async function openDevice(adapter: GPUAdapter, backend: Backend, requested: FeatureLevel, attempts: readonly Attempt[]): Promise<Gpu> {
  // Without declared needs: default limits and no features, the compatibility defaults on a compat adapter.
  const { descriptor, unmet } = deviceRequest(adapter, needs);
  const device = await withTimeout(adapter.requestDevice(descriptor), ATTEMPT_TIMEOUT_MS, `${backend}: requestDevice`);
  // A core device always carries this feature; a compatibility device carries it only if asked for.
  const featureLevel: FeatureLevel = requested === 'compatibility' && !device.features.has('core-features-and-limits') ? 'compatibility' : 'core';
  const limits: Record<string, number> = {};
  const deviceLimits = device.limits as unknown as Record<string, number>;
  for (const name of KEY_LIMITS) limits[name] = deviceLimits[name] ?? Number.NaN;
  const info = adapter.info;
  const gpu: Gpu = {
    device,
    adapter,
    backend,
    tier: tierOf(backend, info),
    summary: {
      configuration: configurationFor(backend, info),
      runtime: inNode ? 'node' : 'browser',
      description: info.description,
      device: info.device,
      vendor: info.vendor,
      architecture: info.architecture,
      featureLevel,
      features: [...device.features].map(String).sort(),
      adapterFeatures: [...adapter.features].map(String).sort(),
      limits,
    },
    attempts,
    lost: device.lost,
    lostInfo: undefined,
    uncapturedErrors: [],
    unmetNeeds: unmet,
  };
  device.lost.then((lostInfo) => {
    gpu.lostInfo = lostInfo;
  });
  device.onuncapturederror = (event) => {
    // Recorded and reported by the harness; without preventDefault Dawn also prints each one to stderr.
    event.preventDefault();
    gpu.uncapturedErrors.push(`${event.error.constructor.name}: ${event.error.message.trim()}`);
  };
  return gpu;
}

async function tryNavigator(attempts: readonly Attempt[]): Promise<Gpu> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) throw new Error(`globalThis.navigator.gpu is not defined (Deno and browsers have it; Node does not)${await browserSaid()}`);
  const adapter = await withTimeout(gpu.requestAdapter(), ATTEMPT_TIMEOUT_MS, 'navigator.gpu.requestAdapter');
  if (adapter === null) throw new Error(`navigator.gpu.requestAdapter() returned null${await browserSaid()}`);
  return openDevice(adapter, 'navigator', 'core', attempts);
}

/** `; the browser said: ...` with what the browser printed, when a page's host can tell ([harness.browser.1]). */
async function browserSaid(): Promise<string> {
  const said = await readBrowserMessages();
  return said.length === 0 ? '' : `; the browser said: ${said.join(' | ')}`;
}

async function tryDawn(backend: DawnBackend, featureLevel: FeatureLevel, attempts: readonly Attempt[]): Promise<Gpu> {
  // Dawn is a native addon, its checks read files: imported only here, so a browser never loads them.
  if (!inNode) throw new Error("Dawn's 'webgpu' addon runs only in Node; a browser page has navigator.gpu alone (WGFUSE_BACKEND=navigator)");
  const { dawnInstance } = await import('./dawn.js');
  const instance = await dawnInstance(backend, SWIFTSHADER_ICD);
  const adapter = await withTimeout(instance.requestAdapter({ featureLevel }), ATTEMPT_TIMEOUT_MS, `${backend}: requestAdapter`);
  if (adapter === null) throw new Error(`Dawn found no ${backend} adapter at feature level '${featureLevel}'`);
  return openDevice(adapter, backend, featureLevel, attempts);
}

/** Mesa lavapipe's Vulkan driver as Debian's mesa-vulkan-drivers installs it (wgpu's configuration, [harness.config.1]). */
export const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';

/** SwiftShader's Vulkan driver as Debian's chromium-common ships it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** WGFUSE_BACKEND, if it names a backend; otherwise 'auto'. */
export function backendFromEnv(): BackendChoice {
  const value = envVar('WGFUSE_BACKEND');
  return BACKEND_CHOICES.find((b) => b === value) ?? 'auto';
}

/**
 * Tries the chosen backend, or for 'auto' navigator.gpu (when present) then Dawn's vulkan, opengl,
 * opengles and null backends, and returns the first device. Never throws: each failure, hang
 * included, is an Attempt.
 */
export async function acquireGpu(options: { backend?: BackendChoice } = {}): Promise<GpuAcquisition> {
  const env = envVar('WGFUSE_BACKEND');
  const choice = options.backend ?? backendFromEnv();
  const attempts: Attempt[] = [];
  if (options.backend === undefined && env !== undefined && env !== '' && env !== choice) {
    return { ok: false, attempts: [{ backend: 'auto', message: `WGFUSE_BACKEND='${env}' is not one of ${BACKEND_CHOICES.join(', ')}` }] };
  }
  const plan: (readonly [Backend, FeatureLevel])[] = [];
  if (choice === 'navigator' || (choice === 'auto' && (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu !== undefined)) {
    plan.push(['navigator', 'core']);
  }
  for (const entry of DAWN_ORDER) if (choice === 'auto' || choice === entry[0]) plan.push(entry);
  for (const [backend, featureLevel] of plan) {
    try {
      const gpu = backend === 'navigator' ? await tryNavigator([...attempts]) : await tryDawn(backend, featureLevel, [...attempts]);
      return { ok: true, gpu };
    } catch (e) {
      attempts.push({ backend, message: messageOf(e) });
    }
  }
  return { ok: false, attempts };
}

let shared: Promise<GpuAcquisition> | undefined;
let needs: DeviceNeeds | undefined;

/**
 * Declares what the implementation under test needs of the device; the next getGpu() requests it. A change
 * of needs opens a new device.
 */
export function declareNeeds(wanted: DeviceNeeds | undefined): void {
  if (JSON.stringify(wanted) !== JSON.stringify(needs)) shared = undefined;
  needs = wanted;
}

/**
 * One acquisition per process, shared by every test in a file. A device that was lost since is
 * replaced, so one test that loses the device does not fail the rest of the file.
 */
export function getGpu(): Promise<GpuAcquisition> {
  const current = shared;
  if (current === undefined) return (shared = acquireGpu());
  return current.then((previous) => {
    if (!previous.ok || previous.gpu.lostInfo === undefined) return previous;
    // Only the first caller to notice the loss starts a new acquisition; the others join it.
    const next = shared === current ? acquireGpu() : (shared ?? acquireGpu());
    shared = next;
    return next;
  });
}

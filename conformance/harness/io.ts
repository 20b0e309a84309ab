/**
 * Harness-owned buffers for one program run (spec/implementation.ts ProgramIO). Every buffer is
 * longer than its tensor and the extra elements hold a canary, so a store past the end is caught
 * ([interface.buffers.2]); outputs start entirely as canary, so an element never stored reads back
 * as the canary rather than as a plausible zero ([interface.buffers.3]).
 */
import type { ProgramIO } from '../../spec/implementation.js';
import { withTimeout } from './timeout.js';

/** A quiet NaN with a payload no arithmetic produces (GPUs canonicalize NaNs they compute). */
export const CANARY_BITS = 0x7fa5a5a5;
export const DEFAULT_CANARY_ELEMENTS = 64;

// The numeric values of GPUBufferUsage / GPUMapMode, so this file does not depend on those globals.
const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

export interface CanaryViolation {
  /** Which output buffer. */
  readonly output: number;
  /** Element index within the buffer; always >= the tensor's length. */
  readonly index: number;
  /** The u32 bits found there. */
  readonly bits: number;
}

/** An input buffer element, data or padding, that the program changed ([interface.buffers.4]). */
export interface InputViolation {
  readonly input: number;
  readonly index: number;
  /** The u32 bits the harness wrote there, and the bits found. */
  readonly expected: number;
  readonly bits: number;
}

export interface ReadBack {
  /** Each output's tensor elements, exactly its length, canary included where nothing was stored. */
  readonly outputs: Float32Array[];
  readonly canaryViolations: CanaryViolation[];
  /** Input elements (or their padding) that are no longer what the harness wrote. */
  readonly inputViolations: InputViolation[];
}

export interface IO {
  readonly io: ProgramIO;
  readonly inputSizes: readonly number[];
  readonly outputSizes: readonly number[];
  readonly canaryElements: number;
  readBack(timeoutMs: number): Promise<ReadBack>;
  destroy(): void;
}

/**
 * Indices of `values` whose bits are exactly the canary: elements no store reached. Works on the bits,
 * because a NaN read into a JS number is not guaranteed to keep its payload.
 */
export function canaryIndices(values: Float32Array): number[] {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const found: number[] = [];
  bits.forEach((b, i) => {
    if (b === CANARY_BITS) found.push(i);
  });
  return found;
}

/** The bits a buffer starts with: `data`, then canary to `elements`. */
function initialBits(data: Float32Array | undefined, elements: number): Uint32Array {
  const bits = new Uint32Array(elements).fill(CANARY_BITS);
  if (data !== undefined) new Float32Array(bits.buffer).set(data);
  return bits;
}

function filledBuffer(device: GPUDevice, label: string, bits: Uint32Array): GPUBuffer {
  const buffer = device.createBuffer({ label, size: bits.byteLength, usage: STORAGE | COPY_SRC | COPY_DST, mappedAtCreation: true });
  new Uint32Array(buffer.getMappedRange()).set(bits);
  buffer.unmap();
  return buffer;
}

/** Creates one buffer per input (data, then canary) and per output (all canary), each padded by `canaryElements`. */
export function createIO(
  device: GPUDevice,
  inputs: readonly Float32Array[],
  outputSizes: readonly number[],
  options: { canaryElements?: number } = {},
): IO {
  const pad = options.canaryElements ?? DEFAULT_CANARY_ELEMENTS;
  const owned: GPUBuffer[] = [];
  const keep = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  const inputBits = inputs.map((data) => initialBits(data, data.length + pad));
  const inputBuffers = inputBits.map((bits, k) => keep(filledBuffer(device, `wgfuse input ${k}`, bits)));
  const outputBuffers = outputSizes.map((n, k) => keep(filledBuffer(device, `wgfuse output ${k}`, initialBits(undefined, n + pad))));

  const readBack = async (timeoutMs: number): Promise<ReadBack> => {
    // Inputs are read back too: a program must not write them, data or padding ([interface.buffers.4]).
    const all = [...outputBuffers, ...inputBuffers];
    const staging = all.map((b, k) => keep(device.createBuffer({ label: `wgfuse staging ${k}`, size: b.size, usage: MAP_READ | COPY_DST })));
    const encoder = device.createCommandEncoder({ label: 'wgfuse readback' });
    all.forEach((b, k) => encoder.copyBufferToBuffer(b, 0, staging[k] as GPUBuffer, 0, b.size));
    device.queue.submit([encoder.finish()]);
    await withTimeout(Promise.all(staging.map((s) => s.mapAsync(MAP_READ))), timeoutMs, 'mapping the output and input buffers for readback');
    const outputs: Float32Array[] = [];
    const canaryViolations: CanaryViolation[] = [];
    const inputViolations: InputViolation[] = [];
    staging.slice(outputBuffers.length).forEach((s, k) => {
      const found = new Uint32Array(s.getMappedRange());
      const expected = inputBits[k] as Uint32Array;
      for (let i = 0; i < expected.length; i++) {
        if (found[i] !== expected[i]) inputViolations.push({ input: k, index: i, expected: expected[i] as number, bits: found[i] as number });
      }
      s.unmap();
    });
    staging.slice(0, outputBuffers.length).forEach((s, k) => {
      const n = outputSizes[k] ?? 0;
      const range = s.getMappedRange();
      // Copy out before unmap(): the mapped ArrayBuffer is detached by it.
      outputs.push(new Float32Array(range, 0, n).slice());
      const bits = new Uint32Array(range);
      for (let i = n; i < bits.length; i++) {
        const found = bits[i] as number;
        if (found !== CANARY_BITS) canaryViolations.push({ output: k, index: i, bits: found });
      }
      s.unmap();
    });
    return { outputs, canaryViolations, inputViolations };
  };

  return {
    io: { inputs: inputBuffers, outputs: outputBuffers },
    inputSizes: inputs.map((d) => d.length),
    outputSizes: [...outputSizes],
    canaryElements: pad,
    readBack,
    destroy: () => {
      for (const b of owned) b.destroy();
      owned.length = 0;
    },
  };
}

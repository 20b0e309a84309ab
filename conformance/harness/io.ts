/**
 * Harness-owned buffers for one program run (spec/implementation.ts ProgramIO). Every buffer is
 * longer than its tensor and the extra elements hold a canary, so a store past the end is caught
 * ([interface.buffers.2]); outputs start entirely as canary, so an element never stored reads back
 * as the canary rather than as a plausible zero ([interface.buffers.3]).
 */
import { decodeElements, encodeElements } from '../../spec/f16.js';
import type { ProgramIO } from '../../spec/implementation.js';
import type { DType } from '../../spec/ir/index.js';
import { withTimeout } from './timeout.js';

/** A quiet NaN with a payload no arithmetic produces (GPUs canonicalize NaNs they compute). */
export const CANARY_BITS = 0x7fa5a5a5;
/** The same in an f16 buffer: a quiet f16 NaN with a payload. An f16 output element never stored reads back as CANARY_BITS. */
export const CANARY_BITS_F16 = 0x7ea5;
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
  /** The bits found there: u32, or u16 in an f16 buffer. */
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

type Bits = Uint32Array | Uint16Array;

/** Element bits of a buffer of `dtype`, viewing `bytes`. */
function bitsOf(bytes: ArrayBuffer, dtype: DType): Bits {
  return dtype === 'f16' ? new Uint16Array(bytes) : new Uint32Array(bytes);
}

/**
 * The bits a buffer starts with: `data` in `dtype`, then canary to `elements` (an f16 buffer gets one more
 * canary where that makes its size a whole number of words).
 */
function initialBits(data: Float32Array | undefined, elements: number, dtype: DType): Bits {
  if (dtype === 'f16') {
    const bits = new Uint16Array(elements + (elements % 2)).fill(CANARY_BITS_F16);
    if (data !== undefined) bits.set(new Uint16Array(encodeElements(data, 'f16').buffer));
    return bits;
  }
  const bits = new Uint32Array(elements).fill(CANARY_BITS);
  if (data !== undefined) new Float32Array(bits.buffer).set(data);
  return bits;
}

function filledBuffer(device: GPUDevice, label: string, bits: Bits): GPUBuffer {
  const buffer = device.createBuffer({ label, size: bits.byteLength, usage: STORAGE | COPY_SRC | COPY_DST, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength));
  buffer.unmap();
  return buffer;
}

/** `n` output elements as f32 values; an f16 canary becomes the f32 canary, so `canaryIndices` finds it. */
function outputValues(range: ArrayBuffer, n: number, dtype: DType): Float32Array {
  if (dtype === 'f32') return new Float32Array(range, 0, n).slice();
  const values = decodeElements(range, 'f16', n);
  const out = new Uint32Array(values.buffer);
  new Uint16Array(range, 0, n).forEach((b, i) => {
    if (b === CANARY_BITS_F16) out[i] = CANARY_BITS;
  });
  return values;
}

export interface IOOptions {
  readonly canaryElements?: number;
  /** Per input and per output; default f32. f16 tensors live in f16 buffers, 2 bytes an element. */
  readonly inputDtypes?: readonly DType[];
  readonly outputDtypes?: readonly DType[];
}

/** Creates one buffer per input (data, then canary) and per output (all canary), each padded by `canaryElements`. */
export function createIO(device: GPUDevice, inputs: readonly Float32Array[], outputSizes: readonly number[], options: IOOptions = {}): IO {
  const pad = options.canaryElements ?? DEFAULT_CANARY_ELEMENTS;
  const inputDtype = (k: number): DType => options.inputDtypes?.[k] ?? 'f32';
  const outputDtype = (k: number): DType => options.outputDtypes?.[k] ?? 'f32';
  const owned: GPUBuffer[] = [];
  const keep = (b: GPUBuffer): GPUBuffer => (owned.push(b), b);
  const inputBits = inputs.map((data, k) => initialBits(data, data.length + pad, inputDtype(k)));
  const inputBuffers = inputBits.map((bits, k) => keep(filledBuffer(device, `wgfuse input ${k}`, bits)));
  const outputBuffers = outputSizes.map((n, k) => keep(filledBuffer(device, `wgfuse output ${k}`, initialBits(undefined, n + pad, outputDtype(k)))));

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
      const found = bitsOf(s.getMappedRange(), inputDtype(k));
      const expected = inputBits[k] as Bits;
      for (let i = 0; i < expected.length; i++) {
        if (found[i] !== expected[i]) inputViolations.push({ input: k, index: i, expected: expected[i] as number, bits: found[i] as number });
      }
      s.unmap();
    });
    staging.slice(0, outputBuffers.length).forEach((s, k) => {
      const n = outputSizes[k] ?? 0;
      const range = s.getMappedRange();
      // Copy out before unmap(): the mapped ArrayBuffer is detached by it.
      outputs.push(outputValues(range, n, outputDtype(k)));
      const bits = bitsOf(range, outputDtype(k));
      const canary = outputDtype(k) === 'f16' ? CANARY_BITS_F16 : CANARY_BITS;
      for (let i = n; i < bits.length; i++) {
        const found = bits[i] as number;
        if (found !== canary) canaryViolations.push({ output: k, index: i, bits: found });
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

/**
 * An implementation written in any language, run as a command ([interface.command.1]): for each compile
 * the harness starts the command, writes the graph and catalog as an IR document
 * (spec/ir.schema.json) to its stdin, and reads its kernels from its stdout (spec/command.schema.json).
 * The harness itself creates the shader modules and pipelines, through the device it was handed (so
 * they are counted like anyone's), and on each run dispatches the kernels in order in one compute pass.
 * A command that exits non-zero, hangs, or prints anything but that JSON fails compile, saying which
 * ([interface.command.2]).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CompiledProgram, Implementation, ProgramIO } from '../../spec/implementation.js';
import { graphToJson } from '../ir-json/write.js';
import { stageTimeoutMs } from './timeout.js';

interface Binding {
  readonly buffer?: 'input' | 'output' | 'scratch';
  readonly index?: number;
  readonly uniform?: readonly number[];
}

interface KernelJson {
  readonly wgsl: string;
  readonly entryPoint?: string;
  readonly bindings: readonly Binding[];
  readonly grid: readonly number[];
}

interface Answer {
  readonly kernels: readonly KernelJson[];
  readonly scratch?: readonly number[];
}

const validate = new Ajv2020({ allErrors: false, strict: true }).compile<Answer>(
  JSON.parse(readFileSync(new URL('../../spec/command.schema.json', import.meta.url), 'utf8')) as object,
);

const STORAGE = 0x80;
const UNIFORM = 0x40;
const COPY_DST = 0x08;

/** Runs `command` with `input` on stdin; resolves with stdout, rejects naming the exit status, signal or timeout, with stderr. */
function runCommand(command: string, input: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`[interface.command.2] '${command}' did not answer within ${timeoutMs} ms; it was stopped`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`[interface.command.2] '${command}' could not be started: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`[interface.command.2] '${command}' ${signal === null ? `exited with status ${code}` : `was killed by ${signal}`}${err.trim() === '' ? '' : `; stderr:\n${err.trim().slice(-2000)}`}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The command's answer, checked against spec/command.schema.json; an Error says what is wrong and where. */
export function parseAnswer(command: string, text: string): Answer {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`[interface.command.2] '${command}' printed something that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    const where = (e?.instancePath ?? '').replace(/^\//, '').replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') || '(the answer)';
    throw new Error(`[interface.command.2] '${command}' answered JSON that is not a program: ${where}: ${e?.message ?? 'invalid'} (spec/command.schema.json)`);
  }
  return doc;
}

/** `command` as an Implementation named `name`. */
export function commandImplementation(command: string, name = `command: ${command}`): Implementation {
  return {
    name,
    async compile(graph, kernels, device): Promise<CompiledProgram> {
      const answer = parseAnswer(command, await runCommand(command, JSON.stringify(graphToJson(graph, kernels)), stageTimeoutMs()));
      const scratch = (answer.scratch ?? []).map((bytes, k) => device.createBuffer({ label: `${name} scratch ${k}`, size: bytes, usage: STORAGE }));
      const uniforms: GPUBuffer[] = [];
      const kernelsOut = await Promise.all(
        answer.kernels.map(async (k, i) => {
          const module = device.createShaderModule({ label: `${name} kernel ${i}`, code: k.wgsl });
          const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: k.entryPoint ?? 'main' } });
          const fixed = k.bindings.map((b) => {
            if (b.uniform === undefined) return undefined;
            const buffer = device.createBuffer({ label: `${name} kernel ${i} uniform`, size: Math.max(16, Math.ceil((b.uniform.length * 4) / 16) * 16), usage: UNIFORM | COPY_DST });
            device.queue.writeBuffer(buffer, 0, Uint32Array.from(b.uniform));
            uniforms.push(buffer);
            return buffer;
          });
          return { k, pipeline, fixed };
        }),
      );
      const bufferFor = (io: ProgramIO, b: Binding, fixed: GPUBuffer | undefined): GPUBuffer => {
        const found = fixed ?? (b.buffer === 'input' ? io.inputs[b.index ?? -1] : b.buffer === 'output' ? io.outputs[b.index ?? -1] : scratch[b.index ?? -1]);
        if (found === undefined) throw new Error(`[interface.command.2] '${command}' binds ${b.buffer} ${b.index}, which does not exist`);
        return found;
      };
      return {
        wgsl: answer.kernels.map((k) => k.wgsl),
        async run(io) {
          const encoder = device.createCommandEncoder({ label: name });
          const pass = encoder.beginComputePass();
          for (const { k, pipeline, fixed } of kernelsOut) {
            const entries = k.bindings.map((b, binding) => ({ binding, resource: { buffer: bufferFor(io, b, fixed[binding]) } }));
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
            const [x = 1, y = 1, z = 1] = k.grid;
            pass.dispatchWorkgroups(x, y, z);
          }
          pass.end();
          device.queue.submit([encoder.finish()]);
        },
        dispose() {
          for (const b of [...scratch, ...uniforms]) b.destroy();
        },
      };
    },
  };
}

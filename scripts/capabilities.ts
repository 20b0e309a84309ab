// npm run capabilities: what this machine's WebGPU can do for wgfuse (spec/capabilities.md). A report:
// exit 0 whatever it finds, 2 only for bad arguments.
import { executes, formatCapabilityReport, probeCapabilities } from '../conformance/harness/capabilities.js';
import { configurationName } from '../conformance/harness/configuration.js';
import { backendFromEnv } from '../conformance/harness/device.js';
import { parseCli } from './lib/cli.js';

const HELP = `usage: npm run capabilities -- [options]

Finds the best WebGPU adapter the harness can get (navigator.gpu, then Dawn's vulkan, opengl, opengles
and null backends) and prints its tier, backend, adapter, features and limits, and why each backend
tried before it failed.

options:
  --backend <name>   try only this backend: auto | vulkan | opengl | opengles | null | navigator (env WGFUSE_BACKEND)
  --json             print the capabilities as JSON instead
  -h, --help         this text
`;

const cli = parseCli('capabilities', HELP, { backend: { type: 'string' }, json: { type: 'boolean' } });
const { values } = cli;
// A declared function, so that TypeScript narrows after a call that never returns.
function usageError(message: string): never {
  return cli.usageError(message);
}
if (values.backend !== undefined) {
  process.env['WGFUSE_BACKEND'] = values.backend;
  if (backendFromEnv() !== values.backend) usageError(`--backend ${values.backend}: expected auto, vulkan, opengl, opengles, null or navigator`);
}

const caps = await probeCapabilities();
if (values.json === true) {
  const gpu = caps.gpu;
  const report = {
    configuration: configurationName(gpu),
    tier: caps.tier,
    executes: executes(caps.tier),
    backend: gpu?.backend ?? null,
    summary: gpu?.summary ?? null,
    attempts: caps.attempts,
    loopCap: caps.loopCap ?? null,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  process.stdout.write(`${formatCapabilityReport(caps)}\n`);
}
// Dawn's threads would keep the process alive.
process.exit(0);

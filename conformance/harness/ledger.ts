/**
 * The gate ledger (spec/capabilities.md [harness.ledger.1]): when WGFUSE_LEDGER_DIR names a folder, every
 * gate decision (a test, the capability it needs, the configuration, ran or skipped and why) and the adapter
 * each test process found are appended to a file there, one JSON object a line. `npm test`'s summary
 * (scripts/test-configurations.ts) reads it to check that each need was seen both met and unmet.
 */
import type { Capabilities } from './capabilities.js';
import { envVar, inNode, nodeBuiltin, sendToHost } from './runtime.js';
import { configurationName } from './configuration.js';
import { adapterLabel } from './device.js';

export interface GateRecord {
  readonly kind: 'gate';
  readonly configuration: string;
  readonly test: string;
  /** `execution`, `device`, `feature shader-f16`, `limit maxX >= n`, `loop cap`, ... */
  readonly need: string;
  readonly outcome: 'ran' | 'skipped' | 'failed';
  readonly reason?: string;
}

export interface AdapterRecord {
  readonly kind: 'adapter';
  readonly configuration: string;
  readonly tier: string;
  readonly backend: string | null;
  readonly adapter: string;
  readonly featureLevel: string | null;
  readonly adapterFeatures: readonly string[];
  readonly deviceFeatures: readonly string[];
}

export type LedgerRecord = GateRecord | AdapterRecord;

function ledgerFile(): string | undefined {
  const dir = envVar('WGFUSE_LEDGER_DIR');
  if (dir === undefined || dir === '') return undefined;
  // A browser page has no files: its lines go to the host, which keeps one file for the page.
  if (!inNode) return `${dir}/ledger-browser.jsonl`;
  nodeBuiltin('node:fs', 'the gate ledger').mkdirSync(dir, { recursive: true });
  return `${dir}/ledger-${process.pid}.jsonl`;
}

function append(record: LedgerRecord): void {
  const file = ledgerFile();
  if (file === undefined) return;
  const line = JSON.stringify(record);
  if (inNode) nodeBuiltin('node:fs', 'the gate ledger').appendFileSync(file, `${line}\n`);
  else sendToHost(line);
}

// The ledger file the adapter was last recorded in: once per file (a test may point the ledger elsewhere).
let adapterRecordedIn: string | undefined;

/** Records the adapter this process found, once per ledger file. */
export function recordAdapter(c: Capabilities): void {
  const file = ledgerFile();
  if (file === undefined || adapterRecordedIn === file) return;
  adapterRecordedIn = file;
  const gpu = c.gpu;
  const s = gpu?.summary;
  append({
    kind: 'adapter',
    configuration: configurationName(gpu),
    tier: c.tier,
    backend: gpu?.backend ?? null,
    adapter: s === undefined ? 'none' : [...new Set([adapterLabel(s), s.description])].filter((x) => x !== '').join(' / '),
    featureLevel: s?.featureLevel ?? null,
    adapterFeatures: s?.adapterFeatures ?? [],
    deviceFeatures: s?.features ?? [],
  });
}

/** Records one gate decision under this process's configuration. */
export function recordGate(c: Capabilities, test: string, need: string, outcome: GateRecord['outcome'], reason?: string): void {
  recordAdapter(c);
  append({ kind: 'gate', configuration: configurationName(c.gpu), test, need, outcome, ...(reason === undefined ? {} : { reason }) });
}

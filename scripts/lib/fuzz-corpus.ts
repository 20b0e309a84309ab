/**
 * A campaign's corpus of failures ([fuzz.corpus.1]): each failure, shrunk, is kept once per signature (the
 * broken rule and a hash of the shrunk graph), as a replay file that also holds the case as IR JSON. A
 * failure seen again only counts up in the corpus index, so a long campaign against a buggy implementation
 * leaves one entry per distinct bug it found, not one per batch.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGraph } from '../../spec/index.js';
import type { BuiltCase } from '../../conformance/generators/fusion-case.js';

export interface CorpusEntry {
  readonly signature: string;
  readonly file: string;
  /** false: a failure with this signature was already in the corpus. */
  readonly added: boolean;
  /** How many failures with this signature the corpus has seen, this one included. */
  readonly count: number;
}

interface IndexEntry {
  readonly file: string;
  readonly rule: string;
  count: number;
}

/** `rule-hash`: the broken rule and the first 12 hex digits of the SHA-256 of the shrunk graph's text. */
export function signatureOf(rule: string, built: Pick<BuiltCase, 'graph'>): string {
  return `${rule}-${createHash('sha256').update(printGraph(built.graph)).digest('hex').slice(0, 12)}`;
}

/**
 * Records a failure with `signature` in the corpus folder `dir`: `write(file)` writes the entry when the
 * signature is new; either way the index (`index.json`) counts it.
 */
export function recordInCorpus(dir: string, signature: string, rule: string, write: (file: string) => void): CorpusEntry {
  mkdirSync(dir, { recursive: true });
  // Workers of one campaign (npm run fuzz -- --workers k) share the folder: one at a time updates the index.
  const lock = join(dir, 'index.json.lock');
  for (let waited = 0; ; waited += 20) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      // A lock older than 30 s was left by a worker that died holding it.
      if (waited > 30_000) rmSync(lock, { force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return recordLocked(dir, signature, rule, write);
  } finally {
    rmSync(lock, { force: true });
  }
}

function recordLocked(dir: string, signature: string, rule: string, write: (file: string) => void): CorpusEntry {
  const indexFile = join(dir, 'index.json');
  const index = existsSync(indexFile) ? (JSON.parse(readFileSync(indexFile, 'utf8')) as Record<string, IndexEntry>) : {};
  const file = join(dir, `${signature}.json`);
  const known = index[signature];
  const added = known === undefined || !existsSync(file);
  if (added) write(file);
  const entry: IndexEntry = known ?? { file: `${signature}.json`, rule, count: 0 };
  entry.count += 1;
  index[signature] = entry;
  writeFileSync(indexFile, `${JSON.stringify(index, null, 2)}\n`);
  return { signature, file, added, count: entry.count };
}

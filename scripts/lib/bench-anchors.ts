/**
 * The recorded anchors of issue 11 (scripts/gpu/anchors.json): torch's times for the same work on a named
 * GPU, so a kernel bench run on that GPU can print its ratios without torch beside it. The ratios to report
 * come from scripts/gpu-bench.sh, which measures the anchors in the same call.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RecordedAnchors {
  readonly match: string;
  readonly device: string;
  readonly torch: string;
  readonly measured: string;
  readonly anchors: Readonly<Record<string, { readonly what: string; readonly ms: number }>>;
}

/** The anchors of the GPU whose `match` the adapter's name contains (case and spaces aside), if any. */
export function anchorsFor(adapter: string): RecordedAnchors | undefined {
  const file = fileURLToPath(new URL('../gpu/anchors.json', import.meta.url));
  const { gpus } = JSON.parse(readFileSync(file, 'utf8')) as { gpus: RecordedAnchors[] };
  const name = adapter.toLowerCase().replace(/\s+/g, '-');
  return gpus.find((g) => name.includes(g.match));
}

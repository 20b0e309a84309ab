/**
 * Reports side by side ([suite.report.3]): for each rule, what each implementation's tests of it came to.
 * A cell is the worst outcome among the rule's tests: FAIL before timed out before not run before pass;
 * an expected failure shows its reason; kernel counts are the most common count per case.
 */
import type { Judged, Report } from './results.js';

export interface Cell {
  /** pass | FAIL | expected fail | timed out | n/a | skipped | not run | unjudged | — (no test of the rule ran). */
  readonly status: string;
  readonly tests: number;
  readonly reason?: string;
  /** Kernels per case → cases, summed over the rule's tests. */
  readonly kernels: Readonly<Record<string, number>>;
}

export interface CompareTable {
  readonly implementations: readonly string[];
  readonly rules: readonly string[];
  /** cells[rule][implementation index] */
  readonly cells: Readonly<Record<string, readonly Cell[]>>;
}

const RANK: readonly [string, (t: Judged) => boolean][] = [
  ['FAIL', (t) => t.verdict === 'unexpected failure'],
  ['unexpected pass', (t) => t.verdict === 'unexpected pass'],
  ['expected fail', (t) => t.verdict === 'expected failure'],
  ['timed out', (t) => t.outcome === 'timed out'],
  ['not run', (t) => t.outcome === 'not run'],
  ['unjudged', (t) => t.outcome === 'not judged'],
  ['skipped', (t) => t.outcome === 'skipped'],
  ['n/a', (t) => t.outcome === 'not applicable'],
  ['pass', (t) => t.outcome === 'passed'],
];

function cellOf(tests: readonly Judged[]): Cell {
  if (tests.length === 0) return { status: '—', tests: 0, kernels: {} };
  const [status] = RANK.find(([, is]) => tests.some(is)) ?? ['?'];
  const kernels: Record<string, number> = {};
  for (const t of tests) for (const [k, n] of Object.entries(t.kernels ?? {})) kernels[k] = (kernels[k] ?? 0) + n;
  const reason = tests.find((t) => t.verdict === 'expected failure')?.expectation?.reason;
  return { status, tests: tests.length, kernels, ...(reason === undefined ? {} : { reason }) };
}

export function compareReports(reports: readonly Report[]): CompareTable {
  const rules = [...new Set(reports.flatMap((r) => r.tests.map((t) => t.rule)))].sort();
  const cells: Record<string, Cell[]> = {};
  for (const rule of rules) cells[rule] = reports.map((r) => cellOf(r.tests.filter((t) => t.rule === rule)));
  return { implementations: reports.map((r) => r.implementation.name), rules, cells };
}

function cellText(c: Cell): string {
  const kernels = Object.entries(c.kernels).map(([k, n]) => `${k}k×${n}`).join(' ');
  return `${[c.status, kernels === '' ? '' : `(${kernels})`].filter((x) => x !== '').join(' ')}${c.reason === undefined ? '' : `: ${c.reason}`}`;
}

/** The table with each expected failure's reason as a numbered note under it, so long reasons are written once. */
export function renderCompareMarkdown(t: CompareTable): string {
  const reasons: string[] = [];
  const cellMd = (c: Cell): string => {
    if (c.reason === undefined) return cellText(c).replace(/\|/g, '\\|');
    if (!reasons.includes(c.reason)) reasons.push(c.reason);
    return `${cellText({ ...c, reason: undefined } as Cell)} [${reasons.indexOf(c.reason) + 1}]`.replace(/\|/g, '\\|');
  };
  const head = `| rule | ${t.implementations.map((i) => i.replace(/\|/g, '\\|')).join(' | ')} |`;
  const line = `| --- | ${t.implementations.map(() => '---').join(' | ')} |`;
  const rows = t.rules.map((rule) => `| \`${rule}\` | ${(t.cells[rule] ?? []).map(cellMd).join(' | ')} |`);
  const notes = reasons.map((r, k) => `[${k + 1}] ${r}`);
  return `${[head, line, ...rows].join('\n')}\n${notes.length === 0 ? '' : `\n${notes.join('\n\n')}\n`}`;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderCompareHtml(t: CompareTable): string {
  const rows = t.rules.map(
    (rule) => `<tr><td><code>${escape(rule)}</code></td>${(t.cells[rule] ?? []).map((c) => `<td class="${c.status.replace(/[^a-z]/gi, '-')}">${escape(cellText(c))}</td>`).join('')}</tr>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>wgfuse: implementations compared</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}.FAIL{color:#c5221f;font-weight:600}.pass{color:#137333}</style></head>
<body><h1>wgfuse: implementations compared</h1><table><thead><tr><th>rule</th>${t.implementations.map((i) => `<th>${escape(i)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}

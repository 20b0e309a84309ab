// wgfuse compare: several reports of `wgfuse run --report` side by side, rules × implementations, as a
// Markdown table (and, with --html, a page): pass, failed (expected: the reason), not applicable, and the
// kernel counts each implementation dispatched.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCli } from './lib/cli.js';
import { compareReports, renderCompareHtml, renderCompareMarkdown } from './lib/compare.js';
import type { Report } from './lib/results.js';

const HELP = `usage: wgfuse compare <report.json>... [--out <file.md>] [--html <file.html>]

Reads reports written by \`wgfuse run --report\` and prints one table: a row per rule, a column per
implementation; each cell says whether the rule's tests passed, failed (with the expectation's reason
when the failure was expected), were not applicable, or did not run, and the kernel counts seen.

options:
  --out <file>    also write the Markdown table to this file
  --html <file>   also write it as a self-contained HTML page
  -h, --help      this text
`;

const { values, usageError, positionals: files } = parseCli('compare', HELP, { out: { type: 'string' }, html: { type: 'string' } }, true);
if (files.length === 0) usageError('name at least one report.json');
const reports = files.map((f): Report => {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    return usageError(`${f}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if ((doc as { format?: unknown }).format !== 'wgfuse-report') usageError(`${f}: not a wgfuse report (format is not 'wgfuse-report')`);
  return doc as Report;
});
const table = compareReports(reports);
const markdown = renderCompareMarkdown(table);
process.stdout.write(markdown);
if (values.out !== undefined) writeFileSync(values.out, markdown);
if (values.html !== undefined) writeFileSync(values.html, renderCompareHtml(table));

/**
 * The main job's report as one self-contained HTML page (no script, no external file: it opens offline):
 * the run, a table of every test by rule, and for each failure its findings, the replay line, the failing
 * case's graph drawn as a picture, and the WGSL ([suite.report.2]).
 */
import type { Judged, Report } from './results.js';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A graph node as the picture needs it; the document's nodes have these fields (spec/ir.schema.json). */
interface PictureNode {
  readonly id: number;
  readonly kind: string;
  readonly shape: readonly number[];
  readonly args?: readonly number[];
  readonly op?: string;
  readonly kernel?: string;
  readonly name?: string;
  readonly value?: number;
}

function nodesOf(doc: unknown): { nodes: PictureNode[]; outputs: number[] } | undefined {
  const graph = (doc as { graph?: { nodes?: unknown; outputs?: unknown } } | undefined)?.graph;
  if (!Array.isArray(graph?.nodes) || !Array.isArray(graph?.outputs)) return undefined;
  return { nodes: graph.nodes as PictureNode[], outputs: graph.outputs as number[] };
}

function label(n: PictureNode): string {
  const what = n.kind === 'input' ? `input ${n.name ?? ''}` : n.kind === 'const' ? `const ${n.value}` : n.kind === 'op' ? (n.op ?? 'op') : n.kind === 'call' ? `call ${n.kernel ?? ''}` : n.kind;
  return `%${n.id} ${what} [${n.shape.join(',')}]`;
}

const FILL: Readonly<Record<string, string>> = { input: '#e8f0fe', const: '#f1f3f4', op: '#fff', call: '#fde7c8', transpose: '#e6f4ea' };

/**
 * The graph as an SVG picture: one row per node in topological order, indented by depth, an edge from
 * each operand to its user, kernel calls shaded, outputs outlined thick.
 */
export function graphSvg(doc: unknown): string {
  const g = nodesOf(doc);
  if (g === undefined) return '<p class="muted">(no graph recorded for this failure)</p>';
  const depth: number[] = [];
  for (const n of g.nodes) depth[n.id] = Math.max(-1, ...(n.args ?? []).map((a) => depth[a] ?? 0)) + 1;
  const [rowH, colW, boxW, boxH] = [34, 120, 190, 24];
  const x = (id: number): number => 10 + (depth[id] ?? 0) * colW;
  const y = (id: number): number => 10 + id * rowH;
  const width = Math.max(...g.nodes.map((n) => x(n.id))) + boxW + 10;
  const height = g.nodes.length * rowH + 10;
  const edges = g.nodes.flatMap((n) =>
    (n.args ?? []).map((a) => {
      const [x1, y1, x2, y2] = [x(a) + 20, y(a) + boxH, x(n.id) + 20, y(n.id)];
      return `<path class="edge" d="M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}"/>`;
    }),
  );
  const boxes = g.nodes.map((n) => {
    const out = g.outputs.includes(n.id);
    return (
      `<g class="node ${n.kind}${out ? ' output' : ''}"><rect x="${x(n.id)}" y="${y(n.id)}" width="${boxW}" height="${boxH}" rx="5" fill="${FILL[n.kind] ?? '#fff'}"` +
      ` stroke="#444" stroke-width="${out ? 3 : 1}"/><text x="${x(n.id) + 8}" y="${y(n.id) + 16}">${escape(label(n))}</text></g>`
    );
  });
  return `<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="the failing case's graph">${edges.join('')}${boxes.join('')}</svg>`;
}

/** The failure message split into what to read first, the replay line and the WGSL. */
function parts(message: string): { head: string; replay: string | undefined; wgsl: string } {
  const wgslAt = message.indexOf('--- WGSL');
  const graphAt = message.indexOf('--- graph ---');
  const headEnd = [graphAt, message.indexOf('\nreplay: ')].filter((i) => i >= 0).reduce((a, b) => Math.min(a, b), message.length);
  const wgsl = wgslAt < 0 ? '' : message.slice(message.indexOf('\n', wgslAt) + 1).replace(/\n\nfast-check:[\s\S]*$/, '');
  return { head: message.slice(0, headEnd).trim(), replay: /^replay: (.*)$/m.exec(message)?.[1], wgsl };
}

function failureSection(t: Judged, k: number): string {
  const p = parts(t.message ?? '');
  return [
    `<section class="failure" id="failure-${k}">`,
    `<h3><span class="outcome ${t.outcome.replace(' ', '-')}">${escape(t.outcome)}</span> [${escape(t.rule)}] ${escape(t.title)}</h3>`,
    t.expectation === undefined ? '' : `<p class="expectation">expected ${escape(t.expectation.status)}: ${escape(t.expectation.reason)}</p>`,
    `<pre class="findings">${escape(p.head)}</pre>`,
    p.replay === undefined ? '' : `<p>replay: <code class="replay">${escape(p.replay)}</code></p>`,
    `<h4>The failing case</h4>${graphSvg(t.case)}`,
    p.wgsl === '' ? '' : `<details><summary>WGSL</summary><pre class="wgsl">${escape(p.wgsl)}</pre></details>`,
    '</section>',
  ].join('\n');
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#202124}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f8f9fa}
.outcome{font-weight:600}.passed{color:#137333}.failed,.timed-out,.not-run{color:#c5221f}.skipped,.not-judged,.not-applicable{color:#80868b}
.banner{padding:.6em 1em;border-radius:6px;font-weight:600}.banner.pass{background:#e6f4ea}.banner.fail{background:#fce8e6}
pre{background:#f8f9fa;padding:.8em;overflow-x:auto;white-space:pre-wrap}.replay{background:#fef7e0;padding:2px 4px}
.failure{border-top:2px solid #c5221f;margin-top:2em}.edge{fill:none;stroke:#888}svg text{font:12px monospace}.muted{color:#80868b}`;

/** The report as an HTML page. */
export function renderHtml(report: Report): string {
  const s = report.summary;
  const rows = report.tests.map((t, k) => {
    const failing = t.message !== undefined ? ` (<a href="#failure-${k}">details</a>)` : '';
    const kernels = t.kernels === undefined ? '' : Object.entries(t.kernels).map(([n, c]) => `${n}×${c}`).join(', ');
    return `<tr class="test"><td>${escape(t.rule)}</td><td>${escape(t.title)}</td><td class="outcome ${t.outcome.replace(' ', '-')}">${escape(t.outcome)}${failing}</td><td>${t.cases ?? ''}</td><td>${kernels}</td><td>${escape(t.verdict)}</td></tr>`;
  });
  const adapter = report.adapter as { description?: string; backend?: string; tier?: string } | null;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wgfuse conformance: ${escape(report.implementation.name)}</title><style>${STYLE}</style></head>
<body>
<h1>wgfuse conformance: ${escape(report.implementation.name)}</h1>
<p class="banner ${s.pass ? 'pass' : 'fail'}">${s.pass ? 'PASS' : 'FAIL'}: ${s.passed} passed, ${s.failed} failed, ${s['timed out']} timed out, ${s.skipped} skipped, ${s['not applicable']} not applicable, ${s['not judged']} judged nothing, ${s['not run']} not run; ${s.unexpected} unexpected</p>
<p>${report.configuration === undefined ? '' : `configuration: <b class="configuration">${escape(report.configuration)}</b>; `}adapter: ${escape(adapter === null ? 'none' : `${adapter.description ?? ''} (${adapter.backend ?? ''}, ${adapter.tier ?? ''})`)}; profile ${escape(report.profile.name)} (declared needs: ${escape(report.profile.declaredNeeds)}); seed ${report.seed}, ${report.runsPerProperty} runs per property; started ${escape(report.startedAt)}, ${report.seconds.toFixed(1)} s${report.expectations.file === null ? '' : `; expectations ${escape(report.expectations.file)}`}</p>
<table><thead><tr><th>rule</th><th>test</th><th>outcome</th><th>cases</th><th>kernels × cases</th><th>verdict</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${report.tests.map((t, k) => (t.message === undefined ? '' : failureSection(t, k))).join('\n')}
</body></html>
`;
}

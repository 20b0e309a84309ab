/** Plain-text tables for the CLIs: a header row, a rule, right-aligned numbers. */

export type Align = 'left' | 'right';

export interface Column {
  readonly title: string;
  readonly align?: Align;
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = columns.map((c, k) => Math.max(c.title.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    columns
      .map((c, k) => {
        const cell = cells[k] ?? '';
        const w = widths[k] ?? 0;
        return c.align === 'left' ? cell.padEnd(w) : cell.padStart(w);
      })
      .join('  ')
      .trimEnd();
  const rule = indent + widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.title)), rule, ...rows.map(line)].join('\n');
}

/** Milliseconds with three significant figures, at least to the microsecond. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** Bytes as B, KiB or MiB. */
export function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
}

/** 2^k when n is a power of two, else n. */
export function elements(n: number): string {
  const k = Math.log2(n);
  return Number.isInteger(k) ? `2^${k}` : String(n);
}

// Shared CLI output: a progress bar on stderr (plain phase lines when stderr is not a terminal, so logs stay
// readable) and aligned summary tables on stdout. Used by eval and reusable by import, retrain and replay.
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressBar {
  /** Starts a new task; `fraction` updates go from 0 to 1. */
  start(label: string): void;
  update(fraction: number, detail?: string): void;
  stop(): void;
}

/** A progress bar on `stream` (default stderr); a no-op when `enabled` is false. */
export function createProgressBar(opts: { stream?: NodeJS.WriteStream; enabled?: boolean } = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  if (opts.enabled === false) return { start() {}, update() {}, stop() {} };
  if (!stream.isTTY) return lineProgress(stream);
  const bar = new SingleBar(
    {
      stream,
      format: '{label} [{bar}] {percentage}% | {duration_formatted} | {detail}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let running = false;
  return {
    start(label) {
      if (running) bar.stop();
      bar.start(1000, 0, { label: label.padEnd(10), detail: '' });
      running = true;
    },
    update(fraction, detail) {
      if (!running) return;
      bar.update(Math.round(1000 * Math.min(1, Math.max(0, fraction))), { detail: detail ?? '' });
    },
    stop() {
      if (!running) return;
      bar.stop();
      running = false;
    },
  };
}

/** Without a terminal: a line when a task starts, when its phase changes (at most every 5 s) or every 30 s, and when it ends. */
function lineProgress(stream: NodeJS.WriteStream): ProgressBar {
  let label = '';
  let lastPhase = '';
  let lastLine = 0;
  let started = 0;
  return {
    start(l) {
      label = l;
      lastPhase = '';
      started = lastLine = performance.now();
      stream.write(`${label}: started\n`);
    },
    update(fraction, detail) {
      const phase = (detail ?? '').split(' ')[0];
      const now = performance.now();
      if (now - lastLine < (phase === lastPhase ? 30_000 : 5000)) return;
      lastPhase = phase;
      lastLine = now;
      stream.write(`${label}: ${Math.round(100 * Math.min(1, Math.max(0, fraction)))}% ${detail ?? ''}\n`);
    },
    stop() {
      stream.write(`${label}: done in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
    },
  };
}

export interface TableColumn<Row> {
  title: string;
  value: (row: Row) => string | number | null | undefined;
  /** Numbers align right by default, text left. */
  align?: 'left' | 'right';
  /** Fraction digits for numbers (default 4). */
  digits?: number;
}

/** Renders rows as an aligned plain-text table (Markdown-compatible pipes). */
export function formatTable<Row>(columns: TableColumn<Row>[], rows: Row[]): string {
  const cells = rows.map((row) =>
    columns.map((col) => {
      const v = col.value(row);
      if (v === null || v === undefined) return '-';
      return typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(col.digits ?? 4) : String(v)) : v;
    }),
  );
  const widths = columns.map((col, c) => Math.max(col.title.length, ...cells.map((r) => r[c].length)));
  const right = columns.map((col, c) => col.align === 'right' || (col.align === undefined && rows.length > 0 && typeof col.value(rows[0]) === 'number'));
  const line = (values: string[]) =>
    `| ${values.map((v, c) => (right[c] ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (right[c] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(columns.map((c) => c.title)), rule, ...cells.map(line)].join('\n');
}

export function printTable<Row>(columns: TableColumn<Row>[], rows: Row[], stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${formatTable(columns, rows)}\n`);
}

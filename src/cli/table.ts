/**
 * Aligned tables for terminals. Columns are measured in terminal cells, not characters: CJK and
 * other wide characters take two cells, combining marks none (get-east-asian-width, the table
 * string-width uses; loaded only by the commands that print tables).
 */
import { eastAsianWidth } from 'get-east-asian-width';

const ANSI = /\u001b\[[0-9;]*m/g;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\u200b]/u;

/** How many terminal cells `text` takes (colour codes take none). */
export function displayWidth(text: string): number {
  const plain = text.replace(ANSI, '');
  if (/^[\x20-\x7e]*$/.test(plain)) return plain.length;
  let width = 0;
  for (const ch of plain) {
    if (ZERO_WIDTH.test(ch)) continue;
    width += eastAsianWidth(ch.codePointAt(0)!);
  }
  return width;
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - displayWidth(cell)),
        )
        .join('  '),
    )
    .join('\n');
}

/** `text` cut to at most `width` cells, an ellipsis marking the cut (plain text only). */
export function truncateCells(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/**
 * Rows that fit a terminal `columns` cells wide: the columns named in `shrink` are cut (the widest
 * first, none below `min` cells) until the table fits or none can give more; the last cell of a
 * line is left empty, since a full line wraps on some terminals.
 */
export function fitRows(rows: string[][], columns: number, shrink: number[], min = 12): string[][] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  let excess = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) - (columns - 1);
  // A cell at a time from the widest: the cut columns end up as even as their content allows.
  while (excess > 0) {
    const widest = shrink
      .filter((i) => (widths[i] ?? 0) > min)
      .sort((a, b) => widths[b]! - widths[a]!)[0];
    if (widest === undefined) break;
    widths[widest]!--;
    excess--;
  }
  return rows.map((row) =>
    row.map((cell, i) => (shrink.includes(i) ? truncateCells(cell, widths[i]!) : cell)),
  );
}

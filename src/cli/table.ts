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

/**
 * A recorded time as the CLI shows it: local time with its offset from UTC (`2026-12-06 02:23:45
 * +01:00`), or with `--utc` UTC marked `Z`. The same rule in `listen` and `deliveries list`/`show`.
 */
const two = (n: number) => String(n).padStart(2, '0');

export function shownTime(iso: string, utc = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (utc) return `${d.toISOString().replace('T', ' ').slice(0, 19)}Z`;
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`;
}

/** Only the clock (listen's lines), with the zone: `02:23:45 +01:00`, or `01:23:45Z`. */
export const shownClock = (iso: string, utc = false) => shownTime(iso, utc).slice(11);

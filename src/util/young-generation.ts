/**
 * Keeps V8's young generation small in the long-running, allocation-heavy commands (listen, inspect,
 * the emulator, history streams).
 *
 * Why: under a steady stream of deliveries V8 doubles the young generation's semi-spaces up to
 * 16 MiB each and keeps them, which alone put `listen` with 20 KB bodies at 98-104 MiB. With 4 MiB
 * semi-spaces the same load stays at ~74 MiB at the same throughput (bench: memory section). The
 * limit itself (--max-semi-space-size) is fixed when the process starts, and a CLI cannot pass
 * flags to its own node without re-running itself as a child, which would outlive a killed parent.
 *
 * How: V8 reads its growth factor each time it grows the young generation (once per scavenge at
 * most), so it can be changed while running. Every 5 ms the factor is set to V8's own 2 while one
 * growth stays within the cap, and to 1 otherwise; V8 shrinks the young generation when idle, and
 * may then grow back up to the cap. A burst between two checks may overshoot by a step. (A factor
 * of cap / size checked every 20 ms overshot to 32 MiB in 3 of 5 runs of its test on a quiet
 * machine: allocation fast enough for two growths between checks multiplied the overshoot. A check
 * costs ~0.4 us.) (A `gc` PerformanceObserver was tried instead: its entries, one per
 * collection, made `listen`'s old space climb by ~0.4 MiB/s under load.)
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const MiB = 1024 * 1024;
/**
 * V8 majors that define --semi-space-growth-factor (Node 20-24; measured on Node 20's V8 11). On any
 * other, setting an unknown flag would print a line, so nothing is done.
 */
const KNOWN_V8 = [11, 12, 13];

/** The young generation's current size: both semi-spaces (V8 calls it new_space). */
function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** Whoever set the limit themselves (NODE_OPTIONS or node's flags) keeps it. */
function limitSetByUser(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) => /^--(max|min)[-_]semi[-_]space[-_]size/.test(f));
}

let capped = false;

/**
 * Caps each semi-space at `semiSpaceMiB` for the life of the process (a second call does nothing
 * more). Returns what it did, for tests: 'capped', or why not.
 */
export function capYoungGeneration(semiSpaceMiB = 4): 'capped' | 'set-by-user' | 'unknown-v8' {
  if (limitSetByUser()) return 'set-by-user';
  if (capped) return 'capped';
  const major = Number(process.versions.v8.split('.')[0]);
  if (!KNOWN_V8.includes(major)) return 'unknown-v8';
  const cap = 2 * semiSpaceMiB * MiB;
  let factor = 2; // V8's default
  const steer = () => {
    const size = youngGenerationBytes();
    const next = size > 0 && size * 2 <= cap ? 2 : 1;
    if (next !== factor) {
      factor = next;
      setFlagsFromString(`--semi-space-growth-factor=${factor}`);
    }
  };
  steer();
  setInterval(steer, 5).unref();
  capped = true;
  return 'capped';
}

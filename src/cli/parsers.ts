/**
 * Commander's value parsers for flags. Apart from inputs.ts on purpose: every command definition
 * loads these at start-up (`--help` included), and they need nothing but the error type.
 */
import { usageError } from '../errors.js';

/** Commander collector for repeatable options (`--set a=1 --set b=2`). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Parses a whole number flag with a clear error naming the flag. */
export function intOption(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw usageError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

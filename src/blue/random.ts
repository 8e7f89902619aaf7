/**
 * A small seeded generator so that `--seed` gives byte-identical payloads on any machine,
 * any day. Without a seed it starts from random state (Math.random) and the real clock.
 */

/** sfc32: tiny, fast, and well distributed enough for sample data (not for secrets). */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Hashes any seed text to four 32-bit words (cyrb128). */
function seedWords(seed: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

// With a seed, "now" is a fixed instant moved by the seed, never the real clock.
const SEEDED_EPOCH = Date.parse('2025-03-03T09:00:00.000Z');
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';

export class SampleRandom {
  private readonly next: () => number;
  private counter = 0;
  private readonly fingerprint: string;
  /** The instant the sample events happen at. */
  readonly now: number;

  constructor(seed?: string | number) {
    const words = seed === undefined ? randomWords() : seedWords(String(seed));
    this.next = sfc32(...words);
    for (let i = 0; i < 12; i++) this.next(); // warm up: early outputs of sfc32 are correlated with the seed
    this.now =
      seed === undefined ? Date.now() : SEEDED_EPOCH + Math.floor(this.next() * 180 * 86_400_000);
    this.fingerprint = this.chars(BASE36, 4);
  }

  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** A cuid as Blue's ids are: 'c', 8 base36 of the time, 4 counter, 4 fingerprint, 8 random = 25 chars. */
  cuid(atMs: number = this.now): string {
    const time = atMs.toString(36).padStart(8, '0').slice(-8);
    const count = (this.counter++ % 1_679_616).toString(36).padStart(4, '0');
    return `c${time}${count}${this.fingerprint}${this.chars(BASE36, 8)}`;
  }

  /** 32 lowercase hex characters, like Blue's `uid` columns. */
  uid(): string {
    return this.chars(HEX, 32);
  }

  /** An instant `minDays`..`maxDays` before `now`, on a whole second (as Blue's createdAt columns are). */
  pastSecond(minDays: number, maxDays: number): number {
    const ms =
      this.now - this.int(Math.round(minDays * 86_400), Math.round(maxDays * 86_400)) * 1000;
    return Math.floor(ms / 1000) * 1000;
  }

  /** A few hundred milliseconds after `ms`: Blue's updatedAt is written just after createdAt. */
  justAfter(ms: number): number {
    return ms + this.int(5, 900);
  }
}

/** Unseeded: V8's Math.random (seeded from the OS's entropy), enough for sample data, never for secrets. */
function randomWords(): [number, number, number, number] {
  const word = () => (Math.random() * 0x100000000) >>> 0;
  return [word(), word(), word(), word()];
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Token buckets by key (an address, a channel): a rate with a burst, forgotten when full again. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  /** `perSecond` 0 means no limit. */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number = Math.max(1, perSecond * 2),
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Takes one token; when none is left, the seconds until one is (for Retry-After). */
  take(key: string): { ok: true } | { ok: false; retryAfterS: number } {
    if (this.perSecond <= 0) return { ok: true };
    const now = this.clock();
    this.sweep(now);
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond)) };
  }

  /** Buckets that have refilled are the same as no bucket: dropped, so memory follows active clients only. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 10_000) return;
    this.sweptAt = now;
    for (const [key, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
  }
}

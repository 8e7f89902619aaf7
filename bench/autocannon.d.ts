// autocannon ships no types; the bench uses only this much of it.
declare module 'autocannon' {
  interface Options {
    url: string;
    method: string;
    body: Buffer;
    headers: Record<string, string>;
    connections: number;
    /** Requests in all; or `duration` seconds. */
    amount?: number;
    duration?: number;
  }
  interface Result {
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
    duration: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  interface Instance extends PromiseLike<Result> {
    on(event: 'response', listener: () => void): void;
    stop(): void;
  }
  export default function autocannon(options: Options): Instance;
}

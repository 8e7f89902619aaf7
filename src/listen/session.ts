/**
 * The listening session, `listen`'s use case: deliveries from any source (the local port, a
 * relay's stream) go through one pipeline (verify, forward, record: receiver/pipeline.ts), are
 * counted towards an expectation, and are reported as typed events. It knows nothing of
 * terminals or flags; the command renders the events and picks the exit code.
 */
import type { History } from '../history/history.js';
import { decodeBody } from '../history/record.js';
import {
  processDelivery,
  type PipelineOptions,
  type ReceivedDelivery,
} from '../receiver/pipeline.js';
import type { RunningReceiver } from '../receiver/server.js';
import type { RelayDelivery, RelayEvent, RelaySourceOptions } from './relay-source.js';

export type Sink<E> = (event: E) => void;

export type ListenEvent =
  /** The local port is bound. */
  | { type: 'listening'; url: string; address: string }
  /** A delivery went through the pipeline and is committed. `shown`: it passed the event filter. */
  | { type: 'delivery'; delivery: ReceivedDelivery; source: 'local' | 'relay'; shown: boolean }
  /** A relay delivery already in the history (streamed again after a crash): acknowledged, not recorded again. */
  | { type: 'duplicate'; relayId: string; seq: number }
  | { type: 'rejected'; method: string; path: string; status: number; reason: string }
  /** A local delivery that could not be recorded (answered 500, so its sender retries). */
  | { type: 'unrecorded'; error: Error }
  | RelayEvent;

export interface LocalSourceOptions {
  host: string;
  port: number;
  path: string;
  maxBodyBytes: number;
  explainRejections?: boolean;
}

export interface ListenSessionOptions {
  pipeline: PipelineOptions;
  /** Only these events are shown and counted (everything is still answered and recorded). */
  only?: ReadonlySet<string>;
  /** Finish once this many valid (shown) deliveries, of `event` if given, arrived; or time out. */
  expect?: { count: number; event?: string; timeoutMs: number };
  local?: LocalSourceOptions;
  relay?: Omit<RelaySourceOptions, 'commit' | 'onEvent'> & {
    /** The path relayed deliveries are recorded (and forwarded) under, as if posted locally. */
    path: string;
  };
}

export interface ListenTally {
  received: number;
  valid: number;
  invalid: number;
  hidden: number;
  duplicates: number;
}

export type ListenOutcome = 'expected' | 'timeout' | 'stopped';

export interface ListenSession {
  /** The local port's URL and bound address, when it listens on one. */
  local?: { url: string; address: string };
  readonly tally: ListenTally;
  /** Valid deliveries counted towards the expectation. */
  readonly matched: number;
  /** Settles when the session should end: an expectation met or timed out; rejects on a fatal source error. */
  finished: Promise<ListenOutcome>;
  /** Ends the session (if not ended) and releases the port and the stream; waits for commits. */
  close(): Promise<void>;
  /** Ends the session with 'stopped' (a signal). */
  stop(): void;
}

/** Relay ids already in `history`, out of `ids`. */
async function knownRelayIds(history: History, ids: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  const page = await history.query({ relayIds: ids }, { limit: 1000 });
  for (const r of page.records) if (r.relayId) known.add(r.relayId);
  return known;
}

export async function startListenSession(
  options: ListenSessionOptions,
  sink: Sink<ListenEvent>,
): Promise<ListenSession> {
  const tally: ListenTally = { received: 0, valid: 0, invalid: 0, hidden: 0, duplicates: 0 };
  let matched = 0;
  let settle: (outcome: ListenOutcome) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<ListenOutcome>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const { expect, only } = options;

  const count = (delivery: ReceivedDelivery, source: 'local' | 'relay') => {
    tally.received++;
    if (delivery.verdict.valid) tally.valid++;
    else tally.invalid++;
    const shown = !only || (delivery.event !== null && only.has(delivery.event));
    if (!shown) tally.hidden++;
    sink({ type: 'delivery', delivery, source, shown });
    if (
      shown &&
      expect &&
      delivery.verdict.valid &&
      (!expect.event || delivery.event === expect.event)
    ) {
      matched++;
      if (matched >= expect.count) settle('expected');
    }
  };

  let receiver: RunningReceiver | undefined;
  if (options.local) {
    const { startCatchServer } = await import('../receiver/server.js');
    receiver = await startCatchServer({
      ...options.pipeline,
      ...options.local,
      onDelivery: (d) => count(d, 'local'),
      onUnrecorded: (error) => sink({ type: 'unrecorded', error }),
      onRejected: (r) => sink({ type: 'rejected', ...r }),
    });
    sink({ type: 'listening', url: receiver.url, address: receiver.address });
  }

  let relay: { stop(): Promise<void> } | undefined;
  if (options.relay) {
    const { startRelaySource } = await import('./relay-source.js');
    const { path, ...relayOptions } = options.relay;
    const history = options.pipeline.history;
    // Without a history (no recording), what this session saw is all it can dedupe against.
    const seen = new Set<string>();
    const commit = async (batch: RelayDelivery[]) => {
      const known = history
        ? await knownRelayIds(
            history,
            batch.map((d) => d.id),
          )
        : new Set(batch.filter((d) => seen.has(d.id)).map((d) => d.id));
      const fresh = batch.filter((d) => {
        if (!known.has(d.id) && !seen.has(d.id)) return true;
        tally.duplicates++;
        sink({ type: 'duplicate', relayId: d.id, seq: d.seq });
        return false;
      });
      const run = (d: RelayDelivery) => {
        seen.add(d.id);
        return processDelivery(options.pipeline, {
          body: decodeBody(d),
          headers: d.headers,
          url: path,
          time: d.receivedAt,
          relayId: d.id,
        });
      };
      // Forwarding keeps the relay's order; without it, the batch commits in one transaction.
      let done: ReceivedDelivery[];
      if (options.pipeline.forward) {
        done = [];
        for (const d of fresh) done.push(await run(d));
      } else done = await Promise.all(fresh.map(run));
      for (const d of done) count(d, 'relay');
    };
    const source = startRelaySource({ ...relayOptions, commit, onEvent: sink });
    try {
      // A refused token ends the session before it says it is ready.
      await source.firstAttempt;
    } catch (error) {
      await receiver?.close();
      throw error;
    }
    source.done.then(
      () => undefined,
      (e) => fail(e),
    );
    relay = source;
  }

  const timer = expect ? setTimeout(() => settle('timeout'), expect.timeoutMs) : undefined;
  void finished.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  let closed: Promise<void> | undefined;
  return {
    local: receiver ? { url: receiver.url, address: receiver.address } : undefined,
    tally,
    get matched() {
      return matched;
    },
    finished,
    stop: () => settle('stopped'),
    close() {
      closed ??= (async () => {
        settle('stopped');
        clearTimeout(timer);
        await relay?.stop();
        await receiver?.close();
        await options.pipeline.history?.drain();
      })();
      return closed;
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS } from '../../blue/catalogue.js';
import {
  deliver,
  sampleBody,
  signRequest,
  webhookRowInput,
  type Signer,
} from '../../delivery/deliver.js';
import { parseExpectStatus } from '../../delivery/expect.js';
import { HttpClient } from '../../delivery/http.js';
import { replayRequest } from '../../delivery/replay.js';
import { BLUE_RETRY_POLICY } from '../../delivery/retry.js';
import { startCatchServer, type ReceivedDelivery } from '../../receiver/server.js';
import { makeVerifier } from '../../receiver/verifier.js';
import { blueScheme } from '../../signing/schemes.js';
import { SqliteHistory } from '../../history/sqlite.js';
import { closeDatabase } from '../../db/database.js';
import { LocalWebhookStore, generateSecret } from '../../store/local-store.js';
import { colors } from '../colors.js';
import { maskSecret, type GlobalOptions, type Io } from '../output.js';

/**
 * The round trip on the embedded defaults, in a temporary store: a webhook with a fresh secret,
 * a listener on a free port, one signed delivery of every event, a replay, and a forgery.
 */
export async function run(opts: GlobalOptions, io: Io): Promise<number> {
  const c = colors(opts);
  // Each step: a line for people, or an entry of one JSON document with --json.
  const steps: Array<{ step: string; ok: boolean; message: string }> = [];
  const report = (step: string, ok: boolean | null, message: string) => {
    if (opts.json)
      steps.push({ step, ok: ok ?? true, message: message.replace(/\u001b\[[0-9;]*m/g, '') });
    else
      io.out(
        `${c.bold(step)} ${ok === null ? '' : `${ok ? c.green('✔') : c.red('✘')} `}${message}`,
      );
  };
  const dir = mkdtempSync(join(tmpdir(), 'bluehook-demo-'));
  const history = new SqliteHistory(dir);
  const client = new HttpClient(4);
  const received: ReceivedDelivery[] = [];
  let receiver: Awaited<ReturnType<typeof startCatchServer>> | undefined;
  try {
    const secret = generateSecret();
    const store = new LocalWebhookStore(dir);
    receiver = await startCatchServer({
      host: '127.0.0.1',
      port: 0,
      path: '/webhooks/blue',
      maxBodyBytes: 1 << 20,
      verify: makeVerifier([{ secret, label: 'demo' }], 'blue'),
      history,
      onDelivery: (d) => received.push(d),
    });
    const webhook = await store.create({ name: 'demo', url: receiver.url, secret });
    report(
      '1.',
      null,
      `webhook ${c.cyan(webhook.id)} → ${receiver.url}, secret ${maskSecret(secret)} (temporary store ${dir})`,
    );

    const signer: Signer = { scheme: blueScheme, secret, userAgent: 'bluehook-demo' };
    const options = {
      client,
      policy: { ...BLUE_RETRY_POLICY, attempts: 1 },
      timeoutMs: 7000,
      expect: parseExpectStatus('2xx'),
    };
    const url = new URL(receiver.url);
    for (const e of EVENTS) {
      const body = sampleBody(e.name, { webhook: webhookRowInput(webhook) });
      const req = signRequest(url, body, e.name, webhook.id, signer);
      const outcome = await deliver(req, options);
      await history.append(outcome.record, req.body);
    }
    const verified = received.filter((d) => d.verdict.valid && d.status === 200).length;
    report(
      '2.',
      verified === EVENTS.length,
      `sent ${EVENTS.length} signed deliveries (every event + the health check); ${verified} verified and recorded by the listener`,
    );

    const original = received.find((d) => d.event === 'TODO_CREATED')!.record;
    const replayed = await deliver(replayRequest(original, url), {
      ...options,
      replayOf: original.id,
    });
    const replayOk = replayed.final.status === 200 && received.at(-1)!.verdict.valid;
    report(
      '3.',
      replayOk,
      `replayed ${original.id} verbatim: answered ${replayed.final.status}, still valid (Blue's scheme has no timestamp, so replays verify)`,
    );

    const pretty = Buffer.from(
      JSON.stringify(JSON.parse(sampleBody('TODO_CREATED', {}).toString()), null, 2),
    );
    const compactSig = blueScheme.sign(
      Buffer.from(JSON.stringify(JSON.parse(pretty.toString()))),
      secret,
    );
    const forged = await deliver(
      {
        url,
        event: 'TODO_CREATED',
        webhookId: null,
        body: pretty,
        headers: { 'content-type': 'application/json', ...compactSig },
      },
      { ...options, expect: parseExpectStatus('401') },
    );
    const forgedVerdict = received.at(-1)!.verdict;
    report(
      '4.',
      forged.final.status === 401,
      `a re-serialised (pretty-printed) delivery was rejected with ${forged.final.status}: ${forgedVerdict.message}`,
    );

    const other = sampleBody('TODO_DELETED', {});
    const wrong = blueScheme.sign(other, `whsec_${randomBytes(16).toString('base64')}`);
    const wrongOutcome = await deliver(
      {
        url,
        event: 'TODO_DELETED',
        webhookId: null,
        body: other,
        headers: { 'content-type': 'application/json', ...wrong },
      },
      { ...options, expect: parseExpectStatus('401') },
    );
    report(
      '5.',
      wrongOutcome.final.status === 401,
      `a delivery signed with another secret was rejected with ${wrongOutcome.final.status}: ${received.at(-1)!.verdict.message}`,
    );

    await history.drain();
    const recorded = await history.count({ direction: 'in' });
    const ok =
      verified === EVENTS.length &&
      replayOk &&
      forged.final.status === 401 &&
      wrongOutcome.final.status === 401 &&
      recorded === received.length;
    report(
      'summary',
      ok,
      `${received.length} deliveries received, ${received.filter((d) => d.verdict.valid).length} valid, ${recorded} recorded; try it yourself: export BLUEHOOK_SECRET=s3cret, then bluehook listen --port 4000 and, in another terminal, bluehook send --url http://127.0.0.1:4000/`,
    );
    if (opts.json)
      io.json({
        ok,
        received: received.length,
        valid: received.filter((d) => d.verdict.valid).length,
        recorded,
        steps,
      });
    return ok ? 0 : 1;
  } finally {
    await receiver?.close();
    await history.close();
    closeDatabase(dir);
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

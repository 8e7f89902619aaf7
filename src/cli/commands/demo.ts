import { randomBytes } from 'node:crypto';
import { EVENTS } from '../../blue/catalogue.js';
import { buildPayload, serializeBody } from '../../blue/payload.js';
import { diagnose } from '../../signing/diagnose.js';
import { blueScheme } from '../../signing/schemes.js';
import { colors } from '../colors.js';
import { maskSecret, writeOut, type GlobalOptions } from '../output.js';

/** Generate, sign and verify every event; show a re-serialised copy rejected with its diagnosis. */
export function run(opts: GlobalOptions): number {
  const c = colors(opts);
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  writeOut(`secret ${maskSecret(secret)} (fresh for this demo)`);
  let verified = 0;
  for (const e of EVENTS) {
    const body = Buffer.from(serializeBody(buildPayload(e.name)));
    const headers = blueScheme.sign(body, secret);
    if (diagnose(body, secret, headers).valid) verified++;
  }
  writeOut(`${c.green('✔')} ${verified}/${EVENTS.length} events generated, signed and verified`);
  const body = serializeBody(buildPayload('TODO_CREATED'));
  const headers = blueScheme.sign(body, secret);
  const forged = diagnose(Buffer.from(JSON.stringify(JSON.parse(body), null, 2)), secret, headers);
  writeOut(`${c.red('✘')} a pretty-printed copy of TODO_CREATED is rejected: ${forged.message}`);
  return verified === EVENTS.length && !forged.valid ? 0 : 1;
}

import { buildPayload, serializeBody } from '../../blue/payload.js';
import { usageError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { payloadOptionsFrom, type PayloadFlags } from '../inputs.js';
import type { GlobalOptions, Io } from '../output.js';

export function run(
  event: string,
  opts: GlobalOptions & PayloadFlags & { pretty?: boolean; out?: string },
  io: Io,
): number {
  const body = buildPayload(event, payloadOptionsFrom(opts));
  const text = opts.pretty ? `${JSON.stringify(body, null, 2)}\n` : serializeBody(body);
  if (opts.out) {
    try {
      // 0600 like an export: a body may carry what a receiver keeps private (names, ids, URLs).
      writeFileAtomic(opts.out, text, 0o600);
    } catch (e) {
      throw usageError(
        `cannot write ${opts.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'check that its directory exists and is writable',
      );
    }
    io.err(`wrote ${body.event} body to ${opts.out} (${Buffer.byteLength(text)} bytes)`);
  } else {
    // Compact output gets no trailing newline on a pipe: those are the exact bytes to sign.
    io.stdout.write(
      opts.pretty || io.isTTY.stdout ? (text.endsWith('\n') ? text : `${text}\n`) : text,
    );
  }
  return 0;
}

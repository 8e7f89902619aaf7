import { generateSchema } from '../../schema/generate.js';
import { usageError } from '../../errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { GlobalOptions, Io } from '../output.js';

export function run(
  events: string[],
  opts: GlobalOptions & { format: string; out?: string; strict?: boolean },
  io: Io,
): number {
  const text = generateSchema(opts.format, { events, strict: opts.strict });
  if (!opts.out) {
    io.stdout.write(text);
    return 0;
  }
  try {
    writeFileAtomic(opts.out, text);
  } catch (e) {
    throw usageError(
      `cannot write ${opts.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'check that its directory exists and is writable',
    );
  }
  io.err(`wrote ${opts.format} to ${opts.out} (${Buffer.byteLength(text)} bytes)`);
  return 0;
}

import { usageError } from '../../errors.js';
import { lineSafe } from '../../util/terminal-text.js';
import { openStore } from '../context.js';
import { canPrompt, type GlobalOptions, type Io } from '../output.js';

export async function run(
  ref: string,
  opts: GlobalOptions & { yes?: boolean },
  io: Io,
): Promise<number> {
  const { store } = await openStore(opts);
  const webhook = await store.get(ref);
  const label = lineSafe(`${webhook.id}${webhook.name ? ` (${webhook.name})` : ''}`);
  if (!opts.yes) {
    if (!canPrompt())
      throw usageError(`refusing to delete ${label} without confirmation: pass --yes`);
    const { confirm } = await import('../prompts.js');
    if (!(await confirm(`Delete webhook ${label}? This cannot be undone`))) {
      io.err('cancelled: nothing was deleted');
      return 0; // answering No is a choice, not a failure (as rm -i and gh)
    }
  }
  await store.delete(webhook.id);
  if (opts.json) io.json({ deleted: webhook.id });
  else io.out(`deleted ${label}`);
  return 0;
}

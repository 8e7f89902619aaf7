import { EVENTS } from '../../blue/catalogue.js';
import { usageError } from '../../errors.js';
import { colors } from '../colors.js';
import type { GlobalOptions, Io } from '../output.js';
import { table } from '../table.js';

export function run(opts: GlobalOptions & { group?: string }, io: Io): number {
  const group = opts.group?.toLowerCase();
  const list = group ? EVENTS.filter((e) => e.group === group) : EVENTS;
  if (!list.length)
    throw usageError(
      `no event group "${opts.group}"; groups: ${[...new Set(EVENTS.map((e) => e.group))].join(', ')}`,
    );
  if (opts.json) {
    io.json(
      list.map(({ name, group, kind, entity, description, subscribable }) => ({
        name,
        group,
        kind,
        entity,
        description,
        subscribable,
      })),
    );
    return 0;
  }
  const c = colors(opts);
  const rows = [['EVENT', 'GROUP', 'KIND', 'ENTITY', 'DESCRIPTION'].map((h) => c.bold(h))];
  for (const e of list) rows.push([c.cyan(e.name), e.group, e.kind, e.entity, e.description]);
  io.out(table(rows));
  return 0;
}

/** The checked-in sample deliveries: one per event, fixed seed, the exact compact bytes. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENTS } from './catalogue.js';
import { buildPayload, serializeBody } from './payload.js';

export const FIXTURE_SEED = 'bluehook-fixtures';

export function fixtureBody(event: string): string {
  return serializeBody(buildPayload(event, { seed: FIXTURE_SEED }));
}

export function writeFixtures(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return EVENTS.map((e) => {
    const file = join(dir, `${e.name}.json`);
    writeFileSync(file, fixtureBody(e.name));
    return file;
  });
}

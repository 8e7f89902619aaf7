/**
 * The young-generation cap (util/young-generation.ts) against a real V8: a process that churns
 * through surviving objects grows its young generation to V8's 32 MiB without the cap, and stays
 * within one growth step of it with the cap. Sizes, not times, are asserted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/util/young-generation.js', import.meta.url));

/** Runs a churning workload in a fresh node; answers what the cap said and the largest young generation seen, in MiB. */
function churn(mode: 'cap' | 'off', env: NodeJS.ProcessEnv = {}): { said: string; maxMiB: number } {
  // Server-like: mostly short-lived garbage and a small set alive across collections; a fixed
  // amount of work (not of time), so a loaded machine changes how long it takes, not what it does.
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { capYoungGeneration } = await import(${JSON.stringify(MODULE)});
    const said = ${mode === 'cap' ? 'capYoungGeneration(2)' : "'off'"};
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const alive = new Array(3000);
    let at = 0;
    let max = 0;
    for (let round = 0; round < 2000; round++) {
      for (let i = 0; i < 500; i++) alive[at++ % alive.length] = { text: 'x'.repeat(300) + i, n: [i] };
      await new Promise((resolve) => setImmediate(resolve));
      max = Math.max(max, young());
    }
    console.log(JSON.stringify({ said, maxMiB: max / 2 ** 20 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

test('the young generation grows to 32 MiB without the cap, and stays near a 2 MiB-semi-space cap with it', () => {
  const off = churn('off');
  assert.equal(off.maxMiB, 32, 'V8 grows its semi-spaces to 16 MiB each under this load');
  const capped = churn('cap');
  assert.equal(capped.said, 'capped');
  // The cap is 4 MiB (two 2 MiB semi-spaces); a growth between two checks may overshoot one step.
  assert.ok(capped.maxMiB <= 8, `capped at ${capped.maxMiB} MiB`);
});

test('a limit the user set with NODE_OPTIONS is left as it is', () => {
  const own = churn('cap', { NODE_OPTIONS: '--max-semi-space-size=1' });
  assert.equal(own.said, 'set-by-user');
  assert.ok(own.maxMiB <= 2, `node's own limit holds: ${own.maxMiB} MiB`);
});

import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
const body = readFileSync('fixtures/deliveries/TODO_CREATED.json');
const t0 = performance.now(); let last = t0, n = 0;
const inst = autocannon({ url: process.argv[2], method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256','s').update(body).digest('hex') }, connections: 50, amount: 30000 });
inst.on('response', () => { n++; last = performance.now(); });
const r = await inst;
console.log((n / ((last - t0) / 1000)).toFixed(0), '/s', JSON.stringify(r.statusCodeStats));

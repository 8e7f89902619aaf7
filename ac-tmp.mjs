import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
const body = readFileSync('/work/main/fixtures/deliveries/TODO_CREATED.json');
const url = process.argv[2];
const r = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256','s').update(body).digest('hex') }, connections: 50, amount: 20000 });
console.log(url, r.requests.total, (r.requests.total / r.duration).toFixed(0), '/s', JSON.stringify(r.statusCodeStats));

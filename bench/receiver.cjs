// The reference receivers of the load rows.
// - no argument: a bare node:http server that reads the body and answers 204 (the reference).
// - `floor SECRET`: the least any verifying receiver does in JavaScript, and nothing more: the
//   X-Signature checked (HMAC-SHA256 of the body, compared in constant time), the body parsed as
//   JSON (the 400 check), "ok" answered. No record, no id, no output. `listen` does all of this
//   plus the record committed before the answer, so its ratio cannot exceed this one's.
const http = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');

const [mode, secret] = process.argv.slice(2);
const floor = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = createHmac('sha256', secret).update(body).digest();
    const given = Buffer.from(String(req.headers['x-signature'] ?? ''), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return res.writeHead(401).end();
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return res.writeHead(400).end();
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
  });
};
const bare = (req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
};
const server = http.createServer(mode === 'floor' ? floor : bare);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

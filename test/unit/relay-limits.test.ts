import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from '../../src/relay/limits.js';
import { hashToken, newChannelId, newToken, tokenMatches } from '../../src/relay/store.js';

test('rate limiter: a burst, then the rate; Retry-After says when the next token comes; keys apart', () => {
  let now = 0;
  const limiter = new RateLimiter(2, 4, () => now);
  const takes = Array.from({ length: 6 }, () => limiter.take('a'));
  assert.deepEqual(
    takes.map((t) => t.ok),
    [true, true, true, true, false, false],
  );
  assert.deepEqual(takes[4], { ok: false, retryAfterS: 1 });
  assert.equal(limiter.take('b').ok, true, 'another key has its own bucket');
  now += 500; // half a second at 2/s: one token back
  assert.equal(limiter.take('a').ok, true);
  assert.equal(limiter.take('a').ok, false);
  const slow = new RateLimiter(0.1, 1, () => now);
  slow.take('x');
  assert.deepEqual(slow.take('x'), { ok: false, retryAfterS: 10 });
  assert.equal(new RateLimiter(0).take('x').ok, true, '0: no limit');
});

test('tokens and channel ids: sizes, alphabet, hash comparison', () => {
  const token = newToken();
  assert.match(token, /^bht_[A-Za-z0-9_-]{43}$/);
  assert.match(newChannelId(), /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(newToken(), token);
  assert.equal(tokenMatches(token, { tokenHash: hashToken(token) }), true);
  assert.equal(tokenMatches(`${token}x`, { tokenHash: hashToken(token) }), false);
  assert.equal(tokenMatches(token, { tokenHash: 'not-hex' }), false);
});

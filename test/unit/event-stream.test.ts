/** The relay stream's parser (listen --relay): events split anywhere across chunks come out whole. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStreamParser } from '../../src/listen/relay-source.js';

const STREAM =
  'event: hello\ndata: {"channel":"c","resumeAfter":0}\n\n' +
  ': ping\n\n' +
  'id: 1\nevent: delivery\ndata: {"seq":1,"body":"a:b"}\n\n' +
  'id: 2\r\nevent: delivery\r\ndata: {"seq":2}\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'event: live\ndata: {}\n\n';

const EXPECTED = [
  { id: undefined, event: 'hello', data: '{"channel":"c","resumeAfter":0}' },
  { id: '1', event: 'delivery', data: '{"seq":1,"body":"a:b"}' },
  { id: '2', event: 'delivery', data: '{"seq":2}' },
  { id: undefined, event: 'message', data: 'line one\nline two' },
  { id: undefined, event: 'live', data: '{}' },
];

test('whole stream, and every split point: the same events, comments skipped, CRLF and multi-line data', () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const parser = new EventStreamParser();
    const out: unknown[] = [];
    parser.feed(STREAM.slice(0, cut), (e) => out.push(e));
    parser.feed(STREAM.slice(cut), (e) => out.push(e));
    assert.deepEqual(out, EXPECTED, `split at ${cut}`);
  }
});

test('one character at a time', () => {
  const parser = new EventStreamParser();
  const out: unknown[] = [];
  for (const ch of STREAM) parser.feed(ch, (e) => out.push(e));
  assert.deepEqual(out, EXPECTED);
});

/**
 * A check run as JUnit XML, the report CI systems show natively: one <testsuite> for the run, one
 * <testcase> per check (its id as the name), <failure> for a failed check, <skipped> for one not
 * run; a warning passes and says so in <system-out>. Text is escaped, and characters XML 1.0 cannot
 * carry (controls, lone surrogates) are replaced, so any answer makes a well-formed file.
 */
import type { CheckRunResult } from './run.js';

/** Characters XML 1.0 allows: tab, newline, carriage return and the rest from U+0020 up, minus surrogates and U+FFFE/U+FFFF. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlEscape(text: string): string {
  return text
    .replace(NOT_XML, '\uFFFD')
    .replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c as '&'],
    );
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(run: CheckRunResult, timestamp = new Date()): string {
  const failures = run.counts.fail;
  const skipped = run.counts.skipped;
  const suiteName = `bluehook check ${run.url}`;
  const cases = run.results.map((r) => {
    const detail = [
      `sent: ${r.sent}`,
      ...(r.diagnosis ? [`diagnosis: ${r.diagnosis}`] : []),
      `got: ${r.got}`,
      ...(r.meaning ? [`meaning: ${r.meaning}`] : []),
      ...(r.fix ? [`fix: ${r.fix}`] : []),
      ...r.requests
        .filter((a) => a.recordId)
        .map(
          (a) =>
            `request ${a.label}: ${a.status ?? a.error?.message ?? 'no answer'} (history record ${a.recordId})`,
        ),
    ].join('\n');
    const open = `    <testcase classname="bluehook.check" name="${xmlEscape(r.id)}" time="${seconds(r.durationMs)}">`;
    let body = '';
    if (r.status === 'fail')
      body = `\n      <failure message="${xmlEscape(`${r.title}: ${r.meaning ?? r.got}`)}" type="${xmlEscape(r.cause ?? 'check-failed')}">${xmlEscape(detail)}</failure>`;
    else if (r.status === 'skipped')
      body = `\n      <skipped message="${xmlEscape(r.meaning ?? 'not run')}"/>`;
    else if (r.status === 'warn')
      body = `\n      <system-out>${xmlEscape(`warning: ${r.title}\n${detail}`)}</system-out>`;
    else body = `\n      <system-out>${xmlEscape(`${r.title}\n${detail}`)}</system-out>`;
    return `${open}${body}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bluehook check" tests="${run.counts.total}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(run.elapsedMs)}">`,
    `  <testsuite name="${xmlEscape(suiteName)}" tests="${run.counts.total}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(run.elapsedMs)}" timestamp="${timestamp.toISOString().slice(0, 19)}">`,
    '    <properties>',
    `      <property name="runId" value="${xmlEscape(run.runId)}"/>`,
    `      <property name="timeoutMs" value="${run.timeoutMs}"/>`,
    `      <property name="warnings" value="${run.counts.warn}"/>`,
    ...(run.unreachable
      ? [`      <property name="unreachable" value="${xmlEscape(run.unreachable)}"/>`]
      : []),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

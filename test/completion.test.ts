/** Shell completion, as bash runs it: the script sourced, its function asked to complete. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, historyRecords, runCli, startReceiver, tempDir } from './helpers.js';

test('bash completion: commands, flags, flag values, event names, webhook names and delivery ids', async () => {
  const dir = tempDir();
  const env = { ...process.env, BLUEHOOK_HOME: dir.path, NO_COLOR: '1' };
  const rx = await startReceiver();
  try {
    await runCli(['create', '--name', 'orders', '--url', rx.url], { env });
    await runCli(['send', '--webhook', 'orders'], { env });
    const id = historyRecords(dir.path)[0]!.id;
    const cases: Array<[string[], string[]]> = [
      [
        ['bluehook', 'del'],
        ['delete', 'deliveries'],
      ],
      [['bluehook', 'send', 'TODO_CREA'], ['TODO_CREATED']],
      [
        ['bluehook', 'trigger', 'TAG_'],
        ['TAG_CREATED', 'TAG_DELETED', 'TAG_UPDATED'],
      ],
      [['bluehook', 'show', 'or'], ['orders']],
      [['bluehook', 'send', '--webhook', 'ord'], ['orders']],
      [['bluehook', 'deliveries', 'show', id.slice(0, 8)], [id]],
      [['bluehook', 'replay', id.slice(0, 8)], [id]],
      [['bluehook', 'listen', '--webh'], ['--webhook']],
      [
        ['bluehook', 'deliveries', 'list', '--direction', ''],
        ['in', 'out'],
      ],
      [['bluehook', 'deliveries', 'list', '--event', 'COMMENT_C'], ['COMMENT_CREATED']],
      [['bluehook', 'deliveries', 'ex'], ['export']],
    ];
    const script = [
      `bluehook() { '${process.execPath}' '${BIN}' "$@"; }`,
      'eval "$(bluehook completion bash)"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
      'comp() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _bluehook; printf "%s\\n" "${COMPREPLY[@]}"; echo ===; }',
      ...cases.map(([words]) => `comp ${words.map((w) => `'${w}'`).join(' ')}`),
    ].join('\n');
    const { stdout } = await promisify(execFile)('bash', ['-c', script], { env });
    const answers = stdout
      .split('===\n')
      .slice(0, cases.length)
      .map((block) => block.split('\n').filter(Boolean));
    cases.forEach(([words, want], i) => {
      assert.deepEqual(answers[i], want, words.join(' '));
    });
    const zsh = await runCli(['completion', 'zsh']);
    assert.match(zsh.stdout, /^#compdef bluehook/);
    assert.match((await runCli(['completion', 'fish'])).stdout, /complete -c bluehook/);
    const bad = await runCli(['completion', 'powershell']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bash, zsh or fish/);
  } finally {
    await rx.close();
    dir.cleanup();
  }
});

/** `--edit`: the body opened in the user's editor ($VISUAL, then $EDITOR, else vi) before it is signed. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { childProcess } from '../util/child-process.js';

export async function editBody(body: Buffer, name = 'delivery.json'): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'bluehook-edit-'));
  const file = join(dir, name);
  try {
    writeFileSync(file, body, { mode: 0o600 });
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    const cp = childProcess();
    if (!cp) throw usageError('--edit needs Node.js 20.16 or later');
    // Through the shell, so that EDITOR may carry arguments ("code --wait").
    const code = await new Promise<number | null>((resolve, reject) => {
      cp.spawn('sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit' })
        .on('error', reject)
        .on('close', resolve);
    });
    if (code !== 0)
      throw usageError(`the editor (${editor}) exited with ${code}: nothing was sent`);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Entry point. `--version` is answered before anything else is loaded so that it stays about as
 * fast as a bare `node`; everything else goes through the commander program.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const { run } = await import('./program.js');
  await run(argv);
}

/**
 * Entry point. `--version` is answered before anything else is loaded so that it stays about as
 * fast as a bare `node`; everything else goes through the commander program.
 */
import { ExitCode } from '../exit-codes.js';
import { packageVersion } from './version.js';

export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`bluehook … | head`) is the reader's choice, not an error. Output that cannot be
  // written (a full disk, a revoked terminal) is one line and the I/O exit code, not a stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`bluehook: cannot write the output: ${error.code ?? error.message}\n`);
    process.exit(ExitCode.store);
  });
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const { run } = await import('./program.js');
  await run(argv);
}

/**
 * Entry point of the bundle (bin/bluehook.js runs it; `--version` alone it answers itself, and
 * commander answers it among other flags): everything goes through the commander program.
 */
import { ExitCode } from '../exit-codes.js';

export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`bluehook … | head`) is the reader's choice, not an error. Output that cannot be
  // written (a full disk, a revoked terminal) is one line and the I/O exit code, not a stack.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`bluehook: cannot write the output: ${error.code ?? error.message}\n`);
    process.exit(ExitCode.store);
  });
  const { run } = await import('./program.js');
  await run(argv);
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usageError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';
import { DB_FILE } from '../../db/database.js';
import { checkIntegrity, recoverDatabase } from '../../db/integrity.js';
import { lineSafe } from '../../util/terminal-text.js';
import { colors } from '../colors.js';
import { openConfig } from '../context.js';
import type { GlobalOptions, Io } from '../output.js';

export interface DoctorOptions {
  full?: boolean;
  recoverTo?: string;
}

const SHOWN_PROBLEMS = 10;

export async function run(opts: GlobalOptions & DoctorOptions, io: Io): Promise<number> {
  const config = await openConfig(opts);
  const file = join(config.values.storeDir, DB_FILE);
  const c = colors(opts);
  if (!existsSync(file)) {
    if (opts.json) io.json({ file, ok: true, exists: false, problems: [] });
    else io.out(`no database at ${file} yet: nothing to check`);
    return ExitCode.ok;
  }
  if (opts.recoverTo && existsSync(resolve(opts.recoverTo)))
    throw usageError(
      `--recover-to ${opts.recoverTo} already exists; it was left untouched`,
      'name a new file',
    );
  const report = checkIntegrity(file, opts.full ? 'full' : 'quick');
  const check = opts.full ? 'integrity_check' : 'quick_check';
  const recovery = opts.recoverTo ? recoverDatabase(file, resolve(opts.recoverTo)) : undefined;
  if (opts.json) {
    io.json({ ...report, exists: true, ...(recovery ? { recovery } : {}) });
  } else {
    if (report.ok) io.out(`${file}: ok (SQLite's ${check} found no problem)`);
    else {
      io.out(
        `${file} is corrupt: SQLite's ${check} found ${report.problems.length === 100 ? '100 or more problems' : `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`}`,
      );
      // What SQLite says quotes the file's names: shown with controls escaped.
      for (const p of report.problems.slice(0, SHOWN_PROBLEMS)) io.out(`  ${lineSafe(p)}`);
      if (report.problems.length > SHOWN_PROBLEMS)
        io.out(c.dim(`  … ${report.problems.length - SHOWN_PROBLEMS} more (--json lists them)`));
    }
    if (recovery) {
      for (const t of recovery.tables)
        io.out(
          `${t.table}: ${t.copied} of ${Math.max(t.listed, t.copied)} row${t.listed === 1 ? '' : 's'} copied${t.unreadable ? ` (${t.unreadable} row id${t.unreadable === 1 ? '' : 's'} unreadable)` : ''}`,
        );
      io.out(
        `copied into ${recovery.to}; ${file} was only read. To use the copy, stop bluehook and run: mv '${file}' '${file}.broken' && rm -f '${file}-wal' '${file}-shm' && mv '${recovery.to}' '${file}'`,
      );
    } else if (!report.ok)
      io.err(
        c.dim(
          `copy what is readable into a new database: bluehook doctor --recover-to '${file}.recovered'`,
        ),
      );
  }
  if (recovery) return ExitCode.ok;
  return report.ok ? ExitCode.ok : ExitCode.checkFailed;
}

/**
 * A PostgreSQL connection pool for a shared history, and the one reading of what the server or
 * the network said. node-postgres loads only when a PostgreSQL URL is used.
 */
import type { Pool } from 'pg';
import { type BluehookError, storeError } from '../errors.js';

/** A pool for `url`; an idle connection dropped by the server never crashes the process. */
export async function postgresPool(url: string): Promise<Pool> {
  const pg = (await import('pg')).default;
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // The next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** One line for what the server or the network said; never the password. */
export function postgresError(error: unknown, where: string): BluehookError {
  const e = error as { code?: string; message?: string; errors?: Array<{ code?: string }> };
  const code = e.code ?? e.errors?.[0]?.code ?? '';
  const database = (() => {
    try {
      return decodeURIComponent(new URL(where).pathname.slice(1)) || 'postgres';
    } catch {
      return '?';
    }
  })();
  if (code === 'ECONNREFUSED')
    return storeError(
      `cannot reach PostgreSQL at ${where}: connection refused`,
      'is the server running, and is the host and port right?',
      'postgres-refused',
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return storeError(
      `cannot reach PostgreSQL at ${where}: unknown host`,
      undefined,
      'postgres-unknown-host',
    );
  if (code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? ''))
    return storeError(
      `cannot reach PostgreSQL at ${where}: timed out`,
      undefined,
      'postgres-timeout',
    );
  if (code === '28P01' || code === '28000')
    return storeError(
      `PostgreSQL refused the login for ${where}: authentication failed`,
      'check the user and password in the history URL',
      'postgres-login-failed',
    );
  if (code === '3D000')
    return storeError(
      `PostgreSQL database "${database}" does not exist on ${where}`,
      `create it first: createdb ${database}`,
      'postgres-no-database',
    );
  if (code === '53100')
    return storeError(
      `PostgreSQL at ${where} cannot write: its disk is full`,
      undefined,
      'disk-full',
    );
  return storeError(
    `PostgreSQL ${where}: ${(e.message ?? String(error)).replace(/\/\/[^@\s]*@/g, '//***@')}${code ? ` (${code})` : ''}`,
    undefined,
    'postgres-error',
  );
}

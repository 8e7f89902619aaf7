/**
 * Node and undici network errors sorted into the few kinds a user can act on. Shared by the
 * delivery client and the Blue API client (neither depends on the other).
 */
import { networkError } from '../errors.js';

export type FailureKind = 'refused' | 'dns' | 'tls' | 'timeout' | 'reset' | 'error';

const TLS_CODES = /^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_SSL)/;

export function classifyError(error: unknown): { kind: FailureKind; message: string } {
  const e = error as {
    name?: string;
    code?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message || e.cause?.message || String(error);
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code))
    return { kind: 'timeout', message: 'timed out' };
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: 'connection refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { kind: 'dns', message: `host not found (${code})` };
  if (TLS_CODES.test(code)) return { kind: 'tls', message: `TLS error: ${message}` };
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED'
  )
    return { kind: 'reset', message: 'connection reset or closed by the target' };
  return { kind: 'error', message: code ? `${code}: ${message}` : message };
}

/**
 * A server that could not bind, said once for every server (the catch server, the inspector, the
 * emulator): a BluehookError with a stable code (`address-in-use`, `address-not-allowed`,
 * `address-not-available`), or the error itself when it is something else. The edges add their
 * own words (the CLI names the flag that picks the port).
 */
export function bindError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE')
    return networkError(`port ${port} on ${host} is in use`, undefined, 'address-in-use');
  if (code === 'EACCES')
    return networkError(`not allowed to listen on port ${port}`, undefined, 'address-not-allowed');
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return networkError(`cannot listen on host ${host}`, undefined, 'address-not-available');
  return error;
}

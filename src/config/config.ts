/**
 * Configuration: flags, then environment (BLUEHOOK_*), then the config file found by cosmiconfig
 * (module name `bluehook`), then defaults. Every resolved value remembers where it came from.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { configError, usageError } from '../errors.js';
import { childProcess } from '../util/child-process.js';
import { durationMs } from '../util/duration.js';
import { redactUrl } from '../util/redact.js';

export interface ConfigValues {
  storeDir: string;
  store: 'local' | 'blue';
  scheme: 'blue' | 'standard-webhooks' | 'github';
  /** Per-attempt timeout in ms (Blue: 7 s). */
  timeout: number;
  /** Attempts after the first (Blue: 5 attempts in all). */
  retries: number;
  /** Default port for `listen`. */
  port: number;
  apiUrl: string;
  /** Names of the environment variables holding Blue credentials (never the credentials). */
  tokenIdEnv: string;
  tokenSecretEnv: string;
  companyIdEnv: string;
  /** Where the delivery history lives: "sqlite" (the store directory's database) or a postgres:// URL. */
  history: string;
  /** SQLite commit durability: "normal" survives kill -9, "full" also a power cut. */
  historySync: 'normal' | 'full';
  /**
   * PostgreSQL history: how long (ms) a delivery's commit may take before `listen` answers 503
   * instead (below Blue's 7 s timeout, so Blue sees a failure and retries rather than a timeout).
   */
  commitTimeout: number;
  /** Retention: records older than this (ms) or beyond this many are removed by writers. */
  historyMaxAge?: number;
  historyMaxRecords?: number;
  /** `listen --relay`'s subscriber token (never printed). */
  relayToken?: string;
}

export type Source = 'flag' | 'env' | 'file' | 'default';
export interface ResolvedConfig {
  values: ConfigValues;
  sources: Record<keyof ConfigValues, Source>;
  /** The config file used, if any. */
  file?: string;
}

type Kind =
  | 'string'
  | 'port'
  | 'count'
  | 'ms'
  | 'duration'
  | 'records'
  | 'history'
  | readonly string[];
const SCHEMA: Record<keyof ConfigValues, { kind: Kind; env?: string; describe: string }> = {
  storeDir: { kind: 'string', env: 'BLUEHOOK_HOME', describe: 'a directory path' },
  store: { kind: ['local', 'blue'], env: 'BLUEHOOK_STORE', describe: '"local" or "blue"' },
  scheme: {
    kind: ['blue', 'standard-webhooks', 'github'],
    env: 'BLUEHOOK_SCHEME',
    describe: '"blue", "standard-webhooks" or "github"',
  },
  timeout: {
    kind: 'ms',
    env: 'BLUEHOOK_TIMEOUT',
    describe: 'milliseconds (a number) or a duration such as "7s"',
  },
  retries: { kind: 'count', env: 'BLUEHOOK_RETRIES', describe: 'a whole number from 0 to 100' },
  port: { kind: 'port', env: 'BLUEHOOK_PORT', describe: 'a port number from 0 to 65535' },
  apiUrl: { kind: 'string', env: 'BLUE_API_URL', describe: 'a URL' },
  tokenIdEnv: { kind: 'string', describe: 'an environment variable name' },
  tokenSecretEnv: { kind: 'string', describe: 'an environment variable name' },
  companyIdEnv: { kind: 'string', describe: 'an environment variable name' },
  history: {
    kind: 'history',
    env: 'BLUEHOOK_HISTORY_URL',
    describe: '"sqlite" or a postgres://user:password@host:port/database URL',
  },
  historySync: {
    kind: ['normal', 'full'],
    env: 'BLUEHOOK_HISTORY_SYNC',
    describe: '"normal" or "full"',
  },
  commitTimeout: {
    kind: 'ms',
    env: 'BLUEHOOK_COMMIT_TIMEOUT',
    describe: 'milliseconds (a number) or a duration such as "5s"',
  },
  historyMaxAge: {
    kind: 'duration',
    env: 'BLUEHOOK_HISTORY_MAX_AGE',
    describe: 'a duration such as "30d" or "12h"',
  },
  historyMaxRecords: {
    kind: 'records',
    env: 'BLUEHOOK_HISTORY_MAX_RECORDS',
    describe: 'a whole number of records, at least 1',
  },
  relayToken: {
    kind: 'string',
    env: 'BLUEHOOK_RELAY_TOKEN',
    describe: "a relay channel's subscriber token",
  },
};

export const CONFIG_KEYS = Object.keys(SCHEMA) as Array<keyof ConfigValues>;
const COMMAND_OWN_FLAGS = new Set<keyof ConfigValues>(['timeout', 'retries']);

/** The platform's per-user data directory for bluehook. */
export function platformDataDir(): string {
  const home = homedir();
  if (process.platform === 'darwin')
    return join(home, 'Library', 'Application Support', 'bluehook');
  if (process.platform === 'win32')
    return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'bluehook');
  return join(process.env.XDG_DATA_HOME || join(home, '.local', 'share'), 'bluehook');
}

function defaults(): ConfigValues {
  return {
    storeDir: platformDataDir(),
    store: 'local',
    scheme: 'blue',
    timeout: 7000,
    retries: 4,
    port: 4000,
    apiUrl: 'https://api.blue.cc/graphql',
    tokenIdEnv: 'BLUE_TOKEN_ID',
    tokenSecretEnv: 'BLUE_TOKEN_SECRET',
    companyIdEnv: 'BLUE_COMPANY_ID',
    history: 'sqlite',
    historySync: 'normal',
    commitTimeout: 5000,
  };
}

/** Checks one value; returns it normalised or a description of what was expected. */
/** A rejected value as an error may quote it: a history URL without its password. */
const shown = (key: keyof ConfigValues, raw: unknown) =>
  key === 'history' && typeof raw === 'string' ? redactUrl(raw) : raw;

function coerce(
  key: keyof ConfigValues,
  raw: unknown,
  fromText: boolean,
): { ok: true; value: unknown } | { ok: false } {
  const { kind } = SCHEMA[key];
  if (Array.isArray(kind))
    return typeof raw === 'string' && kind.includes(raw) ? { ok: true, value: raw } : { ok: false };
  if (kind === 'string')
    return typeof raw === 'string' && raw.length > 0 ? { ok: true, value: raw } : { ok: false };
  if (kind === 'history')
    return typeof raw === 'string' && (raw === 'sqlite' || /^postgres(ql)?:\/\/./i.test(raw))
      ? { ok: true, value: raw }
      : { ok: false };
  let n: number = NaN;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && (kind === 'ms' || kind === 'duration'))
    n = durationMs(raw) ?? NaN;
  else if (typeof raw === 'string' && fromText && /^\d+$/.test(raw.trim())) n = Number(raw);
  if (!Number.isInteger(n)) return { ok: false };
  if (kind === 'port' && (n < 0 || n > 65535)) return { ok: false };
  if (kind === 'count' && (n < 0 || n > 100)) return { ok: false };
  if (kind === 'ms' && (n < 1 || n > 3_600_000)) return { ok: false };
  if ((kind === 'duration' || kind === 'records') && n < 1) return { ok: false };
  return { ok: true, value: n };
}

/** `node --check` on a JavaScript file: the line and the SyntaxError, or undefined if it parses. */
function checkJavaScript(file: string): { line: number; reason: string } | undefined {
  const cp = childProcess();
  if (!cp) return undefined;
  const check = (args: string[], input?: string) =>
    cp.spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 10_000, input });
  let run = check(['--check', file]);
  // Node 20 passes an ES module `.js` outside a "type": "module" package without checking it; read
  // as a module from stdin, it is checked.
  if (run.status === 0 && file.endsWith('.js'))
    run = check(['--input-type=module', '--check'], readFileSync(file, 'utf8'));
  if (run.status === 0) return undefined;
  const line = Number(/:(\d+)\r?\n/.exec(run.stderr ?? '')?.[1]) || 0;
  const reason = /^SyntaxError: (.*)$/m.exec(run.stderr ?? '')?.[1];
  return reason ? { line, reason } : undefined;
}

/** Turns a cosmiconfig/parser error into "file:line: message". */
function syntaxError(error: unknown, file: string): Error {
  const e = error as {
    message?: string;
    mark?: { line: number };
    codeFrame?: string;
    reason?: string;
    stack?: string;
  };
  let line: number | undefined;
  if (e.mark) line = e.mark.line + 1;
  else if (e.codeFrame) line = Number(/^> (\d+) \|/m.exec(e.codeFrame)?.[1]) || undefined;
  else
    line =
      Number(
        new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(
          e.stack ?? '',
        )?.[1],
      ) || undefined;
  if (/Cannot find (package|module) 'typescript'/.test(e.message ?? '')) {
    return configError(
      `config file ${file} is TypeScript, which needs the typescript package installed beside bluehook`,
      'write it as bluehook.config.mjs or .json instead',
      'config-typescript',
    );
  }
  // A JavaScript config that does not parse: Node's loader (through cosmiconfig) may fail with an
  // internal assertion, or (require() of an ES module, Node 20.19+) say the module "is not yet fully
  // loaded", instead of the SyntaxError; `node --check` names the line and the problem.
  if (
    /\.(m|c)?js$/.test(file) &&
    (e.stack?.includes('ERR_INTERNAL_ASSERTION') ||
      /not yet fully loaded/.test(e.message ?? '') ||
      error instanceof SyntaxError)
  ) {
    const checked = checkJavaScript(file);
    if (checked) {
      return configError(
        `config file ${file}:${checked.line} cannot be read: ${checked.reason}`,
        'fix the file',
        'config-unreadable',
      );
    }
  }
  // The message's own words, without the code frame around them (JSON errors repeat it twice).
  const reason =
    e.reason ??
    (e.message ?? String(error))
      .split('\n')
      .map((s) => s.trim())
      .filter((l) => l && !/^(>?\s*\d+\s*\||\|)/.test(l) && !/^JSON Error in /.test(l))
      .map((l) => l.replace(/ while parsing .*$/, ''))[0] ??
    'syntax error';
  return configError(
    `config file ${file}${line ? `:${line}` : ''} cannot be read: ${reason}`,
    'fix the file',
    'config-unreadable',
  );
}

/**
 * Whether cosmiconfig could find anything from `cwd` up to the home directory (or the root), or in
 * the global config directory. Most runs have no config file at all: this look costs a few
 * directory reads, where importing and running cosmiconfig costs ~25 ms of every command's start.
 */
function mayHaveConfigFile(cwd: string): boolean {
  const home = homedir();
  const globalDir = join(process.env.XDG_CONFIG_HOME || join(home, '.config'), 'bluehook');
  if (existsSync(globalDir)) return true;
  for (let dir = resolve(cwd); ; ) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    for (const name of names) {
      if (name.startsWith('.bluehookrc') || name.startsWith('bluehook.config.')) return true;
      if (name === 'package.json') {
        try {
          const pkg = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<
            string,
            unknown
          > | null;
          if (!pkg || typeof pkg !== 'object' || 'bluehook' in pkg || 'cosmiconfig' in pkg)
            return true;
        } catch {
          return true; // unreadable: let cosmiconfig say what is wrong
        }
      }
      if (name === '.config') {
        try {
          if (
            readdirSync(join(dir, name)).some(
              (n) => n.startsWith('bluehookrc') || n.startsWith('config'),
            )
          )
            return true;
        } catch {
          // not a directory: nothing there
        }
      }
    }
    const up = dirname(dir);
    if (dir === home || up === dir) return false;
    dir = up;
  }
}

async function readConfigFile(
  explicit: string | undefined,
  cwd: string,
): Promise<{ file?: string; data: Record<string, unknown> }> {
  if (!explicit && !mayHaveConfigFile(cwd)) return { data: {} };
  const { cosmiconfig, getDefaultSearchPlaces } = await import('cosmiconfig');
  // cosmiconfig's defaults plus the JSON and YAML forms of bluehook.config.* docs/configuration.md documents.
  const searchPlaces = [
    ...getDefaultSearchPlaces('bluehook'),
    'bluehook.config.json',
    'bluehook.config.yaml',
    'bluehook.config.yml',
  ];
  const explorer = cosmiconfig('bluehook', { stopDir: homedir(), searchPlaces });
  let result: { filepath: string; config: unknown; isEmpty?: boolean } | null = null;
  const file = explicit ? resolve(cwd, explicit) : undefined;
  try {
    result = file ? await explorer.load(file) : await explorer.search(cwd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (file && code === 'ENOENT')
      throw configError(`config file ${file} does not exist`, undefined, 'config-missing');
    if (file && code === 'EISDIR')
      throw configError(
        `config file ${file} is a directory, not a file`,
        undefined,
        'config-missing',
      );
    throw syntaxError(error, (error as { filepath?: string }).filepath ?? file ?? 'config');
  }
  if (!result || result.isEmpty || result.config == null)
    return { file: result?.filepath, data: {} };
  if (typeof result.config !== 'object' || Array.isArray(result.config)) {
    throw configError(
      `config file ${result.filepath}: expected an object of settings`,
      undefined,
      'config-not-object',
    );
  }
  return { file: result.filepath, data: result.config as Record<string, unknown> };
}

export interface ConfigFlags {
  config?: string;
  storeDir?: string;
  store?: string;
  scheme?: string;
  timeout?: number | string;
  retries?: number;
  port?: number;
  apiUrl?: string;
  history?: string;
}

/** Resolves the configuration; a wrong file is exit 4 naming the file, key and what was expected. */
export async function loadConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<ResolvedConfig> {
  const { file, data } = await readConfigFile(flags.config, cwd);
  const values = defaults();
  const sources = Object.fromEntries(
    CONFIG_KEYS.map((k) => [k, 'default']),
  ) as ResolvedConfig['sources'];

  for (const [key, raw] of Object.entries(data)) {
    if (!(key in SCHEMA)) {
      throw configError(
        `config file ${file}: unknown key "${key}"`,
        `known keys: ${CONFIG_KEYS.join(', ')}`,
        'config-unknown-key',
      );
    }
    const k = key as keyof ConfigValues;
    const r = coerce(k, raw, false);
    if (!r.ok)
      throw configError(
        `config file ${file}: "${key}" must be ${SCHEMA[k].describe}, got ${JSON.stringify(shown(k, raw))}`,
        undefined,
        'config-bad-value',
      );
    (values as unknown as Record<string, unknown>)[k] =
      k === 'storeDir' && file ? resolve(file, '..', String(r.value)) : r.value;
    sources[k] = 'file';
  }
  for (const k of CONFIG_KEYS) {
    const name = SCHEMA[k].env;
    const raw = name ? env[name] : undefined;
    if (raw === undefined || raw === '') continue;
    const r = coerce(k, raw, true);
    if (!r.ok)
      throw configError(
        `environment variable ${name} must be ${SCHEMA[k].describe}, got "${shown(k, raw)}"`,
        undefined,
        'env-bad-value',
      );
    (values as unknown as Record<string, unknown>)[k] =
      k === 'storeDir' ? resolve(cwd, String(r.value)) : r.value;
    sources[k] = 'env';
  }
  for (const k of CONFIG_KEYS) {
    // `--timeout` and `--retries` belong to the commands that take them (listen's --timeout is how
    // long to wait for --expect, not a delivery timeout): only the config's keys come from config.
    if (COMMAND_OWN_FLAGS.has(k)) continue;
    const raw = (flags as Record<string, unknown>)[k];
    if (raw === undefined) continue;
    const r = coerce(k, raw, true);
    if (!r.ok)
      throw usageError(
        `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be ${SCHEMA[k].describe}, got "${shown(k, raw)}"`,
        undefined,
        'bad-option-value',
      );
    (values as unknown as Record<string, unknown>)[k] =
      k === 'storeDir' ? resolve(cwd, String(r.value)) : r.value;
    sources[k] = 'flag';
  }
  return { values, sources, file };
}

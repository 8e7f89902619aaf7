import { notFoundError, usageError } from '../../errors.js';
import { openRelayStore } from '../../relay/open.js';
import { CHANNEL_NAME, channelPath } from '../../relay/store.js';
import { openConfig } from '../context.js';
import { readSecret } from '../inputs.js';
import { canPrompt, type GlobalOptions, type Io } from '../output.js';
import { table } from '../table.js';

async function opened(opts: GlobalOptions) {
  const config = await openConfig(opts);
  return openRelayStore(config.values);
}

function checkName(name: string): string {
  if (!CHANNEL_NAME.test(name))
    throw usageError(
      `a channel name is 1-64 letters, digits, ".", "_" or "-" (starting with a letter or digit), got "${name}"`,
    );
  return name;
}

export async function create(
  name: string,
  opts: GlobalOptions & { secret?: string; secretFile?: string; publicUrl?: string },
  io: Io,
): Promise<number> {
  checkName(name);
  const secret = readSecret(opts, { required: false }) ?? null;
  const store = await opened(opts);
  try {
    let publicUrl = opts.publicUrl ? parsePublicUrl(opts.publicUrl) : undefined;
    if (publicUrl) await store.setSetting('public_url', publicUrl);
    else publicUrl = await store.getSetting('public_url');
    const { channel, token } = await store.createChannel(name, secret);
    const path = channelPath(channel.id);
    // url is null until the relay's public URL is known (relay --public-url, or --public-url here).
    const url = publicUrl ? `${publicUrl}${path}` : null;
    if (opts.json) io.json({ name, path, url, token });
    else {
      io.out(`created channel ${name}`);
      io.out(`  Blue posts to:    ${url ?? `<the relay's public URL>${path}`}`);
      io.out(`  subscriber token: ${token}`);
      io.err(
        `the token is shown this once (only its hash is kept): give it to listen --relay${secret ? '' : '; no secret: deliveries are relayed unverified'}`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

export async function list(opts: GlobalOptions, io: Io): Promise<number> {
  const store = await opened(opts);
  try {
    const channels = await store.listChannels();
    const publicUrl = (await store.getSetting('public_url')) ?? null;
    if (opts.json) {
      io.json(
        channels.map((c) => ({
          name: c.name,
          path: c.path,
          url: publicUrl ? `${publicUrl}${c.path}` : null,
          verified: c.hasSecret,
          kept: c.kept,
          subscribers: c.subscribers,
          lastSeq: c.lastSeq,
          createdAt: c.createdAt,
        })),
      );
    } else if (!channels.length) io.err('no channels yet: bluehook relay channel create NAME');
    else
      io.out(
        table([
          ['NAME', 'PATH', 'VERIFIED', 'KEPT', 'SUBSCRIBERS', 'CREATED'],
          ...channels.map((c) => [
            c.name,
            c.path,
            c.hasSecret ? 'yes' : 'no',
            String(c.kept),
            String(c.subscribers),
            c.createdAt.slice(0, 19).replace('T', ' '),
          ]),
        ]),
      );
    return 0;
  } finally {
    await store.close();
  }
}

export async function rm(
  name: string,
  opts: GlobalOptions & { yes?: boolean },
  io: Io,
): Promise<number> {
  const store = await opened(opts);
  try {
    if (!(await store.channelByName(name)))
      throw notFoundError(`no channel named ${name}`, 'see bluehook relay channel list');
    if (!opts.yes) {
      if (!canPrompt())
        throw usageError(`refusing to remove channel ${name} without confirmation: pass --yes`);
      const { confirm } = await import('../prompts.js');
      if (!(await confirm(`Remove channel ${name} and every delivery it keeps?`))) {
        io.err('cancelled: nothing was removed');
        return 0;
      }
    }
    await store.removeChannel(name);
    if (opts.json) io.json({ removed: name });
    else io.out(`removed channel ${name}`);
    return 0;
  } finally {
    await store.close();
  }
}

export async function rotateToken(name: string, opts: GlobalOptions, io: Io): Promise<number> {
  const store = await opened(opts);
  try {
    if (!(await store.channelByName(name)))
      throw notFoundError(`no channel named ${name}`, 'see bluehook relay channel list');
    const token = await store.rotateToken(name);
    if (opts.json) io.json({ name, token });
    else {
      io.out(`new subscriber token for ${name}: ${token}`);
      io.err(
        'shown this once; the old token is refused from now on (open streams end within seconds)',
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** An http(s) URL without a path (the relay serves at its root), kept without a trailing slash. */
export function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--public-url must be a URL such as https://relay.example.com, got "${text}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw usageError(`--public-url must be http(s), got "${text}"`);
  if (url.username || url.password || url.search || url.hash)
    throw usageError('--public-url must be a plain origin with an optional path prefix');
  return url.toString().replace(/\/+$/, '');
}

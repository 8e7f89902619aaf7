/** Binding a server and saying where it can be reached: one way for the catch server, the relay and the inspector. */
import type { AddressInfo, Server } from 'node:net';

/**
 * Listens on `host:port` (port 0: a free one); resolves with the bound address and the host to
 * put in a URL: loopback when bound to every interface, brackets around an IPv6 address. Rejects
 * with the bind error (EADDRINUSE, …) for the caller to word.
 */
export async function listenOn(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; address: string; urlHost: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const urlHost =
    bound.address === '0.0.0.0' || bound.address === '::'
      ? '127.0.0.1'
      : bound.address.includes(':')
        ? `[${bound.address}]`
        : bound.address;
  return { port: bound.port, address: bound.address, urlHost };
}

/**
 * Who may hold a connection open. A plain cap (node's `maxConnections`) closes NEW connections
 * once it is reached, so one client holding thousands of idle sockets locked every valid sender
 * out (measured: 2,100 idle sockets made 89 of 118 valid deliveries fail). Here, as nginx does,
 * a connection arriving at the cap closes the connection that has been idle longest instead (an
 * idle one: between requests, or never having sent one); only when every connection is busy is
 * the newcomer refused. The same rule applies per client address, so one address can hold at
 * most `perAddress` connections, whatever it does.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Connections at once, in all. */
  max: number;
  /** Connections at once from one address (0: no per-address limit, as behind a proxy). */
  perAddress: number;
}

export interface ConnectionGuard {
  /** Connections closed to make room for newer ones, and newcomers refused. */
  readonly stats: { evicted: number; refused: number };
  /** Open connections now. */
  open(): number;
}

interface Tracked {
  address: string;
  /** Requests under way on this connection (a stream counts until it ends). */
  busy: number;
}

/**
 * Applies the limits to a server (http or https: pass the event that hands over the socket that
 * requests arrive on, `connection` or `secureConnection`).
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  event: 'connection' | 'secureConnection' = 'connection',
): ConnectionGuard {
  const tracked = new Map<Socket, Tracked>();
  // Idle connections in the order they became idle: the first is the longest idle.
  const idle = new Set<Socket>();
  const idleByAddress = new Map<string, Set<Socket>>();
  const countByAddress = new Map<string, number>();
  const stats = { evicted: 0, refused: 0 };

  const setIdle = (socket: Socket, address: string) => {
    idle.add(socket);
    const set = idleByAddress.get(address) ?? new Set<Socket>();
    idleByAddress.set(address, set);
    set.add(socket);
  };
  const setBusy = (socket: Socket, address: string) => {
    idle.delete(socket);
    idleByAddress.get(address)?.delete(socket);
  };
  const evictOldest = (from: Set<Socket> | undefined): boolean => {
    const oldest = from?.values().next().value as Socket | undefined;
    if (!oldest) return false;
    const t = tracked.get(oldest);
    if (t) setBusy(oldest, t.address); // out of the idle sets at once, before 'close' arrives
    oldest.destroy();
    stats.evicted++;
    return true;
  };

  server.on(event, (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const fromAddress = countByAddress.get(address) ?? 0;
    if (limits.perAddress > 0 && fromAddress >= limits.perAddress) {
      if (!evictOldest(idleByAddress.get(address))) {
        stats.refused++;
        socket.destroy();
        return;
      }
    } else if (tracked.size >= limits.max) {
      if (!evictOldest(idle)) {
        stats.refused++;
        socket.destroy();
        return;
      }
    }
    tracked.set(socket, { address, busy: 0 });
    countByAddress.set(address, (countByAddress.get(address) ?? 0) + 1);
    setIdle(socket, address);
    socket.once('close', () => {
      tracked.delete(socket);
      setBusy(socket, address);
      if (idleByAddress.get(address)?.size === 0) idleByAddress.delete(address);
      const n = (countByAddress.get(address) ?? 1) - 1;
      if (n) countByAddress.set(address, n);
      else countByAddress.delete(address);
    });
  });

  server.on('request', (req, res) => {
    const socket = req.socket as Socket;
    const t = tracked.get(socket);
    if (!t) return;
    t.busy++;
    setBusy(socket, t.address);
    res.once('close', () => {
      t.busy--;
      // Back to the end of the idle order: idle from now on.
      if (t.busy === 0 && tracked.has(socket) && !socket.destroyed) setIdle(socket, t.address);
    });
  });

  return { stats, open: () => tracked.size };
}

/**
 * The emulator's HTTP face: POST /graphql (Blue's API) and POST /emulator/trigger, a documented
 * extra endpoint that makes the emulator deliver an event, as Blue would when a record changes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveEvent } from '../blue/catalogue.js';
import { BlueEmulator, type EmulatorOptions } from './emulator.js';

export interface RunningEmulator {
  url: string;
  graphqlUrl: string;
  emulator: BlueEmulator;
  server: Server;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage, limit = 1 << 20): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('request too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

export async function startEmulator(
  options: EmulatorOptions & { host: string; port: number },
): Promise<RunningEmulator> {
  const emulator = new BlueEmulator(options);
  const server = createServer(async (req, res) => {
    const send = (status: number, value: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/graphql' && req.method === 'POST') {
        const body = (await readJson(req)) as {
          query?: unknown;
          variables?: unknown;
          operationName?: unknown;
        };
        return send(200, await emulator.execute(body, emulator.authenticate(req.headers)));
      }
      if (path === '/emulator/trigger' && req.method === 'POST') {
        const body = (await readJson(req)) as {
          event?: string;
          projectId?: string;
          set?: string[];
        };
        const event = resolveEvent(String(body.event ?? '')).name;
        return send(200, {
          event,
          queued: emulator.trigger(event, { projectId: body.projectId, set: body.set }),
        });
      }
      if (path === '/emulator/webhooks' && req.method === 'GET')
        return send(200, emulator.snapshot());
      return send(404, {
        errors: [{ message: `no route ${req.method} ${path}: the API is POST /graphql` }],
      });
    } catch (error) {
      return send(400, {
        errors: [{ message: (error as Error).message, extensions: { code: 'BAD_USER_INPUT' } }],
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    emulator,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await emulator.close();
    },
  };
}

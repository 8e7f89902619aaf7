/**
 * The client a run of many deliveries uses (load-mode `send`, `replay`): plain HTTP on keep-alive
 * sockets of our own (`socket-client.ts`: undici's own work per request is the ceiling at
 * thousands a second), TLS through undici (`http.ts`). Each is made when a target first needs it.
 */
import { HttpClient, type AttemptResult, type DeliveryClient, type PostOptions } from './http.js';
import { SocketClient } from './socket-client.js';

export class RunClient implements DeliveryClient {
  private plain: SocketClient | undefined;
  private tls: HttpClient | undefined;

  /** `connections`: at most this many open to each kind of target at once. */
  constructor(private readonly connections: number) {}

  post(
    url: URL,
    body: Buffer,
    headers: Record<string, string | string[]>,
    options: PostOptions,
  ): Promise<AttemptResult> {
    if (url.protocol === 'http:') {
      this.plain ??= new SocketClient(this.connections);
      return this.plain.post(url, body, headers, options);
    }
    this.tls ??= new HttpClient(this.connections);
    return this.tls.post(url, body, headers, options);
  }

  async close(): Promise<void> {
    await Promise.all([this.plain?.close(), this.tls?.close()]);
  }
}

/**
 * Fresh payloads at load-test speed. Building a whole sample per delivery costs more than sending
 * it, so one sample is built and serialised once, and each delivery gets a new entity id and uid
 * (everywhere they occur, so references stay consistent) by joining the pre-split text.
 */
import { buildPayload, serializeBody, type PayloadOptions } from './payload.js';
import { SampleRandom } from './random.js';

export class FreshPayloads {
  /** The sample's bytes cut at each id (outer) and each uid (inner), UTF-8 encoded once. */
  private readonly parts: Buffer[][] | undefined;
  private readonly fixedBytes: number = 0;
  private readonly idCount: number = 0;
  private readonly uidCount: number = 0;
  private readonly fixed: Buffer | undefined;
  private readonly rnd: SampleRandom;

  constructor(event: string, options: PayloadOptions = {}) {
    const body = buildPayload(event, options);
    const text = serializeBody(body);
    this.rnd = new SampleRandom(options.seed === undefined ? undefined : `${options.seed}:stream`);
    const entity = (body.currentValue ?? body.previousValue) as
      | { id?: unknown; uid?: unknown }
      | null
      | undefined;
    if (!entity || typeof entity.id !== 'string' || typeof entity.uid !== 'string') {
      this.fixed = Buffer.from(text); // the health check carries no entity
      return;
    }
    const { id, uid } = entity as { id: string; uid: string };
    this.parts = text.split(id).map((chunk) => chunk.split(uid).map((t) => Buffer.from(t)));
    for (const chunk of this.parts) for (const piece of chunk) this.fixedBytes += piece.length;
    this.idCount = this.parts.length - 1;
    for (const chunk of this.parts) this.uidCount += chunk.length - 1;
  }

  /**
   * The next body: the same sample with a never-seen entity id and uid, written straight into one
   * buffer (ids are ASCII; no string of the whole body is built and encoded each time).
   */
  next(): Buffer {
    if (this.fixed) return this.fixed;
    const uid = this.rnd.uid();
    const id = this.rnd.cuid();
    const out = Buffer.allocUnsafe(
      this.fixedBytes + this.idCount * id.length + this.uidCount * uid.length,
    );
    let at = 0;
    const parts = this.parts!;
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) at += out.write(id, at, 'latin1');
      const chunk = parts[i]!;
      for (let j = 0; j < chunk.length; j++) {
        if (j > 0) at += out.write(uid, at, 'latin1');
        at += chunk[j]!.copy(out, at);
      }
    }
    return out;
  }
}

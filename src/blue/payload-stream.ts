/**
 * Fresh payloads at load-test speed. Building a whole sample per delivery costs more than sending
 * it, so one sample is built and serialised once, and each delivery gets a new entity id and uid
 * (everywhere they occur, so references stay consistent) by joining the pre-split text.
 */
import { buildPayload, serializeBody, type PayloadOptions } from './payload.js';
import { SampleRandom } from './random.js';

export class FreshPayloads {
  private readonly parts: string[][] | undefined;
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
    this.parts = text.split(id).map((chunk) => chunk.split(uid));
  }

  /** The next body: the same sample with a never-seen entity id and uid. */
  next(): Buffer {
    if (this.fixed) return this.fixed;
    const uid = this.rnd.uid();
    const id = this.rnd.cuid();
    return Buffer.from(this.parts!.map((chunk) => chunk.join(uid)).join(id));
  }
}

/**
 * Fresh payloads at load-test speed. Building a whole sample per delivery costs more than sending
 * it, so one sample is built and serialised once, and each delivery gets a new entity id and uid
 * (everywhere they occur, so references stay consistent) by joining the pre-split text.
 */
import { buildPayload, serializeBody, type PayloadOptions } from './payload.js';
import { SampleRandom } from './random.js';

export class FreshPayloads {
  private readonly parts: string[][] | undefined;
  /** The same split of the body as a JSON string literal (ids need no escaping). */
  private readonly jsonParts: string[][] | undefined;
  private readonly fixed: Buffer | undefined;
  private readonly fixedJson: string | undefined;
  private readonly rnd: SampleRandom;

  constructor(event: string, options: PayloadOptions = {}) {
    const body = buildPayload(event, options);
    const text = serializeBody(body);
    this.rnd = new SampleRandom(options.seed === undefined ? undefined : `${options.seed}:stream`);
    const entity = (body.currentValue ?? body.previousValue) as { id?: unknown; uid?: unknown } | null | undefined;
    if (!entity || typeof entity.id !== 'string' || typeof entity.uid !== 'string') {
      this.fixed = Buffer.from(text); // the health check carries no entity
      this.fixedJson = JSON.stringify(text);
      return;
    }
    const { id, uid } = entity as { id: string; uid: string };
    const split = (t: string) => t.split(id).map((chunk) => chunk.split(uid));
    this.parts = split(text);
    this.jsonParts = split(JSON.stringify(text));
  }

  /** The next body: the same sample with a never-seen entity id and uid. */
  next(): Buffer {
    return this.nextWithJson().body;
  }

  /**
   * The next body and the same bytes as a JSON string literal, ready for the delivery log
   * (escaping a 2 KB body for every log line was a tenth of a load run's time).
   */
  nextWithJson(): { body: Buffer; json: string } {
    if (this.fixed) return { body: this.fixed, json: this.fixedJson! };
    const uid = this.rnd.uid();
    const id = this.rnd.cuid();
    const join = (parts: string[][]) => parts.map((chunk) => chunk.join(uid)).join(id);
    return { body: Buffer.from(join(this.parts!)), json: join(this.jsonParts!) };
  }
}

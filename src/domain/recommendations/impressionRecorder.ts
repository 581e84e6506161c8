// Records every list served as an impression, batched and written off the request path, so clicks and
// purchases carrying its recommId can be attributed later.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';

export interface Impression {
  recommId: string;
  userId: string | null;
  surface: string;
  modelVersion: string;
  itemIds: string[];
  context: Record<string, unknown> | null;
  /** The A/B experiment and arm that served the list, when one did. */
  experimentId?: string | null;
  arm?: string | null;
}

export class ImpressionRecorder {
  private buffer: Impression[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly flushMs = 1000,
    private readonly maxBuffered = 500,
  ) {}

  record(impression: Impression): void {
    this.buffer.push(impression);
    if (this.buffer.length >= this.maxBuffered) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.flushMs);
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.buffer;
    this.buffer = [];
    if (!batch.length) return this.flushing;
    // One statement with the batch as a JSON parameter: Prisma's createMany costs about a millisecond of CPU
    // per row to build, which at search rates is a good share of a request.
    const rows = batch.map((b) => ({
      recomm_id: b.recommId,
      user_id: b.userId,
      surface: b.surface,
      model_version: b.modelVersion,
      item_ids: b.itemIds,
      context: b.context,
      experiment_id: b.experimentId ?? null,
      arm: b.arm ?? null,
    }));
    this.flushing = this.flushing.then(() =>
      this.db
        .$executeRawUnsafe(
          `INSERT INTO impressions (recomm_id, user_id, surface, model_version, item_ids, context, experiment_id, arm)
           SELECT r.recomm_id, r.user_id, r.surface, r.model_version, ARRAY(SELECT jsonb_array_elements_text(r.item_ids)),
                  r.context, r.experiment_id, r.arm
           FROM jsonb_to_recordset($1::jsonb) AS r(recomm_id text, user_id text, surface text, model_version text, item_ids jsonb,
                context jsonb, experiment_id text, arm text)
           ON CONFLICT (recomm_id) DO NOTHING`,
          JSON.stringify(rows),
        )
        .then(() => undefined)
        .catch((err) => this.log.warn({ err, lost: batch.length }, 'impressions not recorded')),
    );
    return this.flushing;
  }
}

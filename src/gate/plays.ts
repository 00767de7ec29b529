// POST /v1/plays: a batch of one user's plays, as the compliance terms ask a service to log
// every stream (a unique user id and an end reason; a prefetched but unplayed track with 0 s).
// A batch with any invalid play is refused whole, each problem named, so nothing is half-logged.
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { insertPlays, type PlayInput } from '../db/plays.js';
import { isCountry } from './decision.js';
import type { Reply } from './endpoints.js';
import type { Route } from './server.js';

export const END_REASONS = ['naturalEnd', 'userSkipped', 'other'] as const;
const MAX_PLAYS = 500;
const MAX_BODY_BYTES = 512 * 1024;
const id = z.union([z.string().min(1).max(256), z.number().int().nonnegative()]).transform(String);

const playSchema = z.object({
  trackId: id,
  releaseId: id,
  country: z.string().refine(isCountry, 'must be an ISO 3166 alpha-2 country code such as GB'),
  dateTimePlayed: z.iso.datetime({ offset: true }),
  totalTimePlayed: z.number().int().min(0).max(86_400),
  endReason: z.enum(END_REASONS),
  source: z.string().min(1).max(256).optional(),
});

const batchSchema = z.object({
  userId: id,
  plays: z.array(playSchema).min(1).max(MAX_PLAYS),
});

export function playsRoute(db: Database, defaultSource: string): Route {
  return {
    method: 'POST',
    path: '/v1/plays',
    maxBodyBytes: MAX_BODY_BYTES,
    async handle({ caller, body }): Promise<Reply> {
      const parsed = batchSchema.safeParse(body);
      if (!parsed.success) {
        return { status: 400, body: { error: 'invalid plays; nothing was logged', problems: parsed.error.issues.map((i) => ({ at: i.path.join('.'), reason: i.message })) } };
      }
      const batch: PlayInput[] = parsed.data.plays.map((p) => ({
        userId: parsed.data.userId, source: p.source ?? defaultSource, trackId: p.trackId, releaseId: p.releaseId,
        country: p.country, playedAt: new Date(p.dateTimePlayed), totalTimePlayed: p.totalTimePlayed, endReason: p.endReason,
      }));
      const ids = await insertPlays(db.orm, caller, batch);
      return { status: 202, body: { logged: ids.length, ids } };
    },
  };
}

import { loadTrackFacts } from '../db/gate.js';
import { UsageError } from '../errors.js';
import { decide } from '../gate/decision.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';
import { systemClock } from '../clock.js';

/** `feedline playable` exits with this when the track may not be streamed (README "Playback gate"). */
export const NOT_PLAYABLE_EXIT = 10;

export const playableCommand: Command = {
  name: 'playable',
  summary: 'Say whether a track may be streamed in a country now (the playback gate\'s rule)',
  help: `Usage: feedline playable track <id> --country CC [--source S] [--at ISO] [--json]

Applies the playback gate's rule to the stored catalogue (PostgreSQL, not the gate's view):
the track's row for the country (or its worldwide row) is live and in force now, and every
release it is streamed under that is known to us is live there too. --source defaults to
FEEDLINE_SOURCE; --at decides at another moment (deal windows, streaming release dates).
Prints "playable" or "not playable: REASON"; --json prints { trackId, source, country, at,
playable, reason }. REASON is one of taken_down, not_licensed_in_territory,
not_yet_available, release_taken_down, unknown_track, unknown_country (the API's words).
Exit codes: 0 playable, ${NOT_PLAYABLE_EXIT} not playable, 2 usage, 5 database unreachable.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('playable', argv, {
      country: { type: 'string' }, source: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' },
    }, { min: 2, max: 2 });
    if (values.help) return printHelp(ctx, this.help);
    if (positionals[0] !== 'track') throw new UsageError(`playable: only tracks are streamed; expected "playable track <id>", not ${JSON.stringify(positionals[0])}`);
    if (!values.country) throw new UsageError('playable: --country is required (the caller resolves it; the gate never guesses)');
    const at = values.at === undefined ? systemClock() : new Date(values.at);
    if (Number.isNaN(at.getTime())) throw new UsageError(`playable: --at must be an ISO date-time, not ${JSON.stringify(values.at)}`);
    const trackId = positionals[1]!;
    const source = values.source ?? ctx.config.source;
    const country = values.country.toUpperCase();
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const decision = decide(await loadTrackFacts(runtime.db.orm, source, trackId), country, at);
      const reason = decision.playable ? null : decision.reason;
      if (values.json) ctx.out.json({ trackId, source, country, at: at.toISOString(), playable: decision.playable, reason });
      else ctx.out.line(decision.playable ? 'playable' : `not playable: ${reason}`);
      return decision.playable ? 0 : NOT_PLAYABLE_EXIT;
    } finally {
      await runtime.close();
    }
  },
};

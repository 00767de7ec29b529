import { ENTITIES } from '../config/schema.js';
import { getItem } from '../db/catalogue.js';
import { itemTerritories, pendingSchedule, releaseIdForKey } from '../db/ddex.js';
import { describeVersion } from '../catalogue/version.js';
import { NotFoundError, UsageError } from '../errors.js';
import { oneOf, parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';

export const getCommand: Command = {
  name: 'get',
  summary: 'Show the stored state of a track, release or artist in one country',
  help: `Usage: feedline get <track|release|artist> <id> --country CC [--source S] [--json]

Prints status (live or taken_down), titles, the version that last wrote the item, when it
was taken down and why. --source defaults to FEEDLINE_SOURCE (the CSV provider); for DDEX
items give the sender's PartyId: a release may be named by its GRid, ICPN or
namespace:ProprietaryId, and the JSON adds every territory row (WW holds the default for
countries without a row of their own) and the scheduled changes its deals make.
Exit code 4 when the item is unknown.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('get', argv, {
      country: { type: 'string' }, source: { type: 'string' }, json: { type: 'boolean' },
    }, { min: 2, max: 2 });
    if (values.help) return printHelp(ctx, this.help);
    const entity = oneOf('entity', positionals[0], ENTITIES)!;
    if (!values.country) throw new UsageError('--country is required (state is kept per country)');
    if (!/^[A-Za-z]{2}$/.test(values.country)) throw new UsageError(`--country must be an ISO 3166 alpha-2 code such as GB, not ${JSON.stringify(values.country)}`);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const source = values.source ?? ctx.config.source;
      // A DDEX release is stored under one of its keys; any other key it was sent with finds it.
      const id = (entity === 'release' ? await releaseIdForKey(runtime.db.orm, source, positionals[1]!) : undefined) ?? positionals[1]!;
      const item = await getItem(runtime.db.orm, entity, source, id, values.country.toUpperCase());
      if (!item) throw new NotFoundError(`no ${entity} ${positionals[1]} from ${source} in ${values.country.toUpperCase()}`);
      const { record, versionTitle, ...shown } = item;
      const version = describeVersion(BigInt(item.version));
      const territories = entity === 'artist' ? [] : await itemTerritories(runtime.db.orm, entity, source, item.id);
      const ddex = territories.some((t) => t.country === 'WW');
      const scheduled = ddex && entity !== 'artist' ? await pendingSchedule(runtime.db.orm, entity, source, item.id) : [];
      if (values.json) {
        ctx.out.json({ ...shown, versionTitle, versionOf: version, ...(ddex ? { territories, scheduled } : {}), record });
      } else {
        ctx.out.line([
          `${entity} ${item.id} (${source}, ${item.country}): ${item.status}${item.takedownReason ? ` (${item.takedownReason})` : ''}`,
          `  title:         ${item.displayTitle ?? item.title ?? ''}`,
          `  explicit:      ${item.explicit ?? ''}`,
          `  version:       ${item.version} (${version.kind} feed of ${version.effectiveAt}, line ${version.line}; run ${item.runId})`,
          `  updated at:    ${item.updatedAt}`,
          ...(item.takenDownAt ? [`  taken down at: ${item.takenDownAt}`] : []),
          ...(ddex ? [`  territories:   ${territories.map((t) => `${t.country} ${t.status}${t.reason ? ` (${t.reason})` : ''}`).join(', ')}`] : []),
          ...scheduled.map((c) => `  scheduled:     ${c.country} ${c.targetStatus}${c.targetStatus === 'taken_down' ? ` (${c.reason})` : ''} at ${new Date(c.dueAt).toISOString()}`),
        ].join('\n'));
      }
      return 0;
    } finally {
      await runtime.close();
    }
  },
};

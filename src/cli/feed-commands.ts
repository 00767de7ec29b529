// Shared by fetch, replay and reconcile: the feed flags, and the pull dependencies built
// from a runtime.
import { ENTITIES, FEED_KINDS, type FeedSpec } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { PullDeps } from '../feeds/pull.js';
import { createAlerter } from '../sla/alerts.js';
import type { SlaContext } from '../sla/check.js';
import { dateFlag, oneOf } from './args.js';
import { batchSink, slaTimers, type Runtime } from './runtime.js';
import { systemClock } from '../clock.js';

export const FEED_OPTIONS = {
  entity: { type: 'string' }, kind: { type: 'string' }, country: { type: 'string' },
} as const;

export function feedFromFlags(values: { entity?: string; kind?: string; country?: string }): FeedSpec {
  const entity = oneOf('entity', values.entity, ENTITIES);
  const kind = oneOf('kind', values.kind, FEED_KINDS);
  const country = values.country?.toUpperCase();
  if (!entity || !kind || !country) throw new UsageError('--entity, --kind and --country are required');
  if (!/^[A-Z]{2}$/.test(country)) throw new UsageError(`--country must be an ISO 3166 alpha-2 code such as GB, not ${JSON.stringify(values.country)}`);
  return { entity, kind, country };
}

export function requiredDate(name: string, value: string | undefined): string {
  const date = dateFlag(name, value);
  if (!date) throw new UsageError(`--${name} YYYY-MM-DD is required`);
  return date;
}

/** Pull dependencies on a runtime; the sink and the SLA timers are closed with the runtime. */
export function pullDeps(runtime: Runtime): PullDeps {
  const sink = batchSink(runtime);
  runtime.defer(() => sink.close());
  const alerter = createAlerter({ db: runtime.db, logger: runtime.logger, webhooks: runtime.config.webhooks });
  runtime.defer(() => Promise.race([alerter.idle(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]));
  return { config: runtime.config, db: runtime.db, sink, timers: slaTimers(runtime), logger: runtime.logger, alerter };
}

/** The SLA context of a command's pull dependencies: the clock is the wall clock. */
export function slaContext(deps: PullDeps): SlaContext {
  return { db: deps.db, alerter: deps.alerter, sla: deps.config.sla, logger: deps.logger, now: systemClock };
}

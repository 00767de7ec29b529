import cron from 'node-cron';
import { reconcileRun } from '../feeds/reconcile.js';
import { unreconciledRuns } from '../db/reconcile.js';
import { unfinishedRunFiles } from '../db/run-lookups.js';
import { UsageError, coerceError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import { parseDayFields } from '../feeds/due.js';
import { createScheduler } from '../feeds/scheduler.js';
import { checkReadiness } from '../http/health.js';
import { startHttpServer } from '../http/server.js';
import { recoverRunsOnce } from '../ingest/recover.js';
import type { Logger } from '../log.js';
import { createApplyQueue } from '../queue/sink.js';
import { createAlerter } from '../sla/alerts.js';
import { startAlertingApplyWorker } from './apply-worker.js';
import { closeWithin } from './close-within.js';
import { oneOf, parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { startPeriodic } from '../periodic.js';
import { batchSink, openRuntime, slaTimers, type Runtime } from './runtime.js';
import { ROUTERS, SCHEDULER_SERVICES, type BackgroundService, type ServeDeps } from '../roles/parts.js';
import { gateStartProblems } from '../config/gate.js';
import { isGateClusterPrimary, superviseGateProcesses } from '../gate/cluster.js';
import { startGateService } from '../roles/gate.js';
import { startEventsReceiverService, startEventsWorkerService } from '../roles/events.js';
import { systemClock } from '../clock.js';
import { lowerPriority } from './worker.js';

const ROLES = ['all', 'scheduler', 'worker', 'api', 'events', 'gate'] as const;
type Role = (typeof ROLES)[number];

// Recovery (runs whose parser died, batches lost with Redis), reconciliation a crash left
// undone, and archive retention: cheap queries, every FEEDLINE_RECOVERY_INTERVAL_MS as
// `feedline worker` recovers, so a restart heals soon after the stale-parser threshold.
const PRUNE_INTERVAL_MS = 6 * 60 * 60 * 1000;
const RECONCILE_LOOKBACK_DAYS = 7;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run unattended: schedule and fetch due feeds, apply batches, serve health and dashboards',
  help: `Usage: feedline serve [--role all|scheduler|worker|api|events|gate]

Roles (default all):
  scheduler  on FEEDLINE_SCHEDULE_CRON, enqueue one fetch job per feed for its oldest due date
             (catching up missed days in date order, up to FEEDLINE_MAX_BACKLOG_DAYS), fetch and
             ingest them, reconcile full feeds; every 30 s resume runs left unfinished and
             re-enqueue batches lost with Redis; every 30 s apply DDEX deal changes come due and
             ingest complete DDEX batches from FEEDLINE_DDEX_DROP_DIR (see feedline ingest --help);
             run the SLA sweep and timers. Pulling feeds starts only when
             FEEDLINE_PROVIDER_BASE_URL is set, and then the provider settings are checked at start;
             without it the role still runs everything else (a DDEX-only or hand-fed service).
  worker     apply batches and Catalogue Events from the queues (needs REDIS_URL; like \`feedline worker\`).
  api        the SLA page, /metrics and the queue board on FEEDLINE_HTTP_HOST:FEEDLINE_HTTP_PORT.
  events     the Catalogue Events receiver on FEEDLINE_EVENTS_HOST:FEEDLINE_EVENTS_PORT (needs
             FEEDLINE_EVENTS_PUBLIC_KEY_FILE; README "Catalogue Events"). Without REDIS_URL it also
             applies the events it stores; with it, worker processes do.
  gate       the playback gate on FEEDLINE_GATE_HOST:FEEDLINE_GATE_PORT (decisions, signed URLs,
             authorization, the play log and its forwarding), in FEEDLINE_GATE_PROCESSES
             processes; needs FEEDLINE_GATE_MEDIA_BASE_URL, _KEYS and _TOKENS. \`all\` runs it
             too (one process) when those are set. See README "Playback gate".

Every role serves /healthz (alive) and /readyz (PostgreSQL, Redis and migrations; 503 when not
ready) on FEEDLINE_HTTP_HOST:FEEDLINE_HTTP_PORT: give processes on one host different ports.
  all        all of them in one process (events only when FEEDLINE_EVENTS_PUBLIC_KEY_FILE is set).
             Without REDIS_URL batches and events are applied in-process.

Any number of scheduler, worker and api processes may run against one PostgreSQL and Redis:
fetch and batch jobs have deterministic ids, so each feed is fetched once. Migrations run at
start, one process at a time.

On SIGTERM or SIGINT: stop ticking and taking jobs, let jobs in hand finish within
FEEDLINE_SHUTDOWN_GRACE_MS (then leave them to the ledger: they are resumed on the next start),
close connections, exit 0.`,
  async run(argv, ctx) {
    const { values } = parseCommand('serve', argv, { role: { type: 'string' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const role: Role = oneOf('role', values.role, ROLES) ?? 'all';
    const { config, logger } = ctx;
    const runs = {
      scheduler: role === 'all' || role === 'scheduler', worker: role === 'all' || role === 'worker', api: role === 'all' || role === 'api',
      events: role === 'events' || (role === 'all' && Boolean(config.events.publicKeyFile)),
    };
    if (role === 'gate' && isGateClusterPrimary(config.gate.processes)) return superviseGateProcesses(config.gate.processes, logger, ctx.stopping, config.shutdownGraceMs);
    if (role === 'worker' && !config.redisUrl) throw new UsageError('serve --role worker needs REDIS_URL (without Redis, --role all applies batches in-process)');
    // Only a process that is nothing but a worker: in `all` it would slow the receiver too.
    if (role === 'worker') lowerPriority(config.workerNice, logger);
    const pulls = runs.scheduler && config.provider.baseUrl !== undefined;
    if (pulls) validateProvider(config);

    const runtime = await openRuntime(config, logger, { redis: config.redisUrl ? 'required' : 'never', poolSize: config.workerConcurrency + 4, outlastOutage: true });
    const log = logger.child({ component: 'serve', role });
    const stops: { name: string; stop: (graceMs: number) => Promise<void> }[] = [];
    try {
      const alerter = createAlerter({ db: runtime.db, logger, webhooks: config.webhooks });
      const deps: ServeDeps = { config, logger, db: runtime.db, redis: runtime.redis, alerter };

      if (runs.worker && runtime.redis) {
        const worker = startAlertingApplyWorker(runtime, alerter, logger, config.workerConcurrency);
        stops.push({ name: 'apply worker', stop: (grace) => closeWithin(worker.close(), grace, () => worker.close(true)) });
        const eventsWorker = startEventsWorkerService(deps);
        stops.push({ name: 'events worker', stop: (grace) => eventsWorker.stop(grace) });
      }
      if (runs.events) {
        const receiver = await startEventsReceiverService(deps);
        stops.push({ name: 'events receiver', stop: (grace) => receiver.stop(grace) });
      }
      if (role === 'gate' || (role === 'all' && gateStartProblems(config.gate).length === 0)) {
        const gate = await startGateService(deps);
        stops.unshift({ name: 'gate', stop: (grace) => gate.stop(grace) });
      }
      if (runs.scheduler) {
        const sink = batchSink(runtime);
        runtime.defer(() => sink.close());
        const maintenance = startMaintenance(runtime, sink, alerter, log);
        stops.push({ name: 'maintenance', stop: () => maintenance.stop() });
        if (pulls) {
          const scheduler = createScheduler({ config, db: runtime.db, sink, timers: slaTimers(runtime), logger, alerter }, { redis: runtime.redis, prefix: config.queuePrefix });
          scheduler.start();
          stops.push({ name: 'scheduler', stop: (grace) => scheduler.stop(grace) });
        } else {
          log.info('no provider configured (FEEDLINE_PROVIDER_BASE_URL): feeds are not pulled; SLA, DDEX and recovery run');
        }
        for (const factory of SCHEDULER_SERVICES) {
          const service: BackgroundService = await factory(deps);
          stops.push({ name: 'service', stop: (grace) => service.stop(grace) });
        }
      }
      // Every role answers /healthz and /readyz (the image's HEALTHCHECK); only the api role
      // mounts the dashboards and /metrics.
      {
        const routers = runs.api ? await Promise.all(ROUTERS.map((factory) => factory(deps))) : [];
        const server = await startHttpServer({
          host: config.http.host,
          port: config.http.port,
          logger,
          readiness: () => checkReadiness({ db: runtime.db, redis: runtime.redis }),
          routers,
        });
        stops.unshift({ name: 'http', stop: () => server.close() });
      }
      log.info({ database: runtime.db.where, redis: Boolean(runtime.redis), feeds: config.provider.feeds.length }, 'serving');

      const signal = await ctx.stopping;
      log.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: finishing work in hand');
      // Newest first: the scheduler stops feeding work before the apply worker stops taking it,
      // so a fetch job in hand can see its run applied.
      for (const part of stops.splice(0).reverse()) {
        try {
          await part.stop(config.shutdownGraceMs);
        } catch (err) {
          log.warn({ err: coerceError(err), part: part.name }, 'error while stopping');
        }
      }
      await Promise.race([alerter.idle(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      log.info('stopped');
      return 0;
    } finally {
      for (const part of stops.reverse()) await part.stop(0).catch(() => undefined);
      await runtime.close();
    }
  },
};

/** A configured provider is checked once at start, so a bad setting fails now and not at every fetch. */
function validateProvider(config: Runtime['config']): void {
  const problems: string[] = [];
  const protocol = urlProtocol(config.provider.baseUrl!);
  if (protocol === undefined) problems.push(`FEEDLINE_PROVIDER_BASE_URL: ${JSON.stringify(config.provider.baseUrl)} is not a URL`);
  else if (protocol !== 'https:' && !(protocol === 'http:' && config.provider.allowHttp)) {
    problems.push(`FEEDLINE_PROVIDER_BASE_URL: feeds are fetched over https only (${protocol.slice(0, -1)} given; FEEDLINE_ALLOW_HTTP=true allows http for local testing)`);
  }
  if (!config.provider.consumerKey || !config.provider.consumerSecret) problems.push('FEEDLINE_OAUTH_CONSUMER_KEY and FEEDLINE_OAUTH_CONSUMER_SECRET (or their _FILE variants) must both be set');
  if (!cron.validate(config.provider.scheduleCron)) problems.push(`FEEDLINE_SCHEDULE_CRON: ${JSON.stringify(config.provider.scheduleCron)} is not a cron expression`);
  try {
    new Intl.DateTimeFormat('en', { timeZone: config.provider.timezone });
  } catch {
    problems.push(`FEEDLINE_TIMEZONE: ${JSON.stringify(config.provider.timezone)} is not a time zone`);
  }
  try {
    parseDayFields(config.provider.fullFeedDays);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (config.provider.feeds.length === 0) problems.push('FEEDLINE_FEEDS / FEEDLINE_COUNTRIES: no feeds configured');
  if (problems.length > 0) throw new UsageError(`serve --role scheduler cannot start:\n  ${problems.join('\n  ')}`);
}

function urlProtocol(text: string): string | undefined {
  try {
    return new URL(text).protocol;
  } catch {
    return undefined;
  }
}

function startMaintenance(runtime: Runtime, sink: ReturnType<typeof batchSink>, alerter: ServeDeps['alerter'], log: Logger): { stop(): Promise<void> } {
  const { config, db } = runtime;
  const queue = runtime.redis ? createApplyQueue(runtime.redis, config.queuePrefix) : undefined;
  let lastPrune = 0;
  const once = async () => {
    const ctx = { config, db, sink, logger: runtime.logger };
    const report = await recoverRunsOnce(ctx, queue);
    if (report && (report.resumed.length > 0 || report.requeued.length > 0)) log.warn({ report }, 'recovered unfinished runs');
    for (const runId of await unreconciledRuns(db.orm, config.source, RECONCILE_LOOKBACK_DAYS)) {
      await reconcileRun({ db, logger: runtime.logger, alerter, maxShare: config.provider.reconcileMaxShare }, runId);
    }
    if (systemClock().getTime() - lastPrune > PRUNE_INTERVAL_MS) {
      lastPrune = systemClock().getTime();
      // Files of runs not yet applied are still needed to finish them.
      const deleted = await openArchive(config, db).prune(config.provider.archiveRetentionDays, await unfinishedRunFiles(db.orm));
      if (deleted.length > 0) log.info({ deleted: deleted.length }, 'archive pruned');
    }
  };
  const maintenance = startPeriodic({ name: 'maintenance', schedule: { everyMs: config.recoveryIntervalMs }, run: once, logger: log });
  return {
    async stop() {
      await maintenance.stop();
      await queue?.close();
    },
  };
}

// The feedline executable: picks the subcommand, loads configuration once, and is the one
// place that turns errors into exit codes (README "Exit codes").
import { readFileSync } from 'node:fs';
import { exitWithParent } from './parent-watch.js';
import { endWhenStopped, stopSignals } from './stopping.js';
import { describeUrl, loadConfig } from '../config/load.js';
import { ENV } from '../config/schema.js';
import { refusal } from '../db/refusals.js';
import { ExitCode, FeedlineError, NotFoundError, UsageError, coerceError } from '../errors.js';
import { censorer, createLogger } from '../log.js';
import type { Command } from './command.js';
import { getCommand } from './get.js';
import { ingestCommand } from './ingest.js';
import { migrateCommand } from './migrate.js';
import { stdout } from './output.js';
import { quarantineCommand, runsCommand } from './runs.js';
import { reportCommand } from './report.js';
import { slaCommand } from './sla.js';
import { recoverCommand } from './recover.js';
import { workerCommand } from './worker.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';
import { fetchCommand } from './fetch.js';
import { replayCommand } from './replay.js';
import { reconcileCommand } from './reconcile.js';
import { ddexCommand } from './ddex.js';
import { ddexDueCommand } from './ddex-due.js';
import { playableCommand } from './playable.js';
import { playsCommand } from './plays.js';
import { eventsCommand } from './events.js';
import { alertsCommand } from './alerts.js';
import { hashPasswordCommand } from './hash-password.js';

const COMMANDS: Command[] = [ingestCommand, getCommand, runsCommand, quarantineCommand, migrateCommand, workerCommand, recoverCommand, serveCommand, statusCommand, fetchCommand, replayCommand, reconcileCommand, slaCommand, reportCommand, ddexCommand, ddexDueCommand, alertsCommand, eventsCommand, playableCommand, playsCommand, hashPasswordCommand];

/** Commands that run unattended and log everything at LOG_LEVEL (default info). */
const LONG_RUNNING = new Set(['serve', 'worker']);

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const envWidth = Math.max(...Object.keys(ENV).map((n) => n.length));
  return `feedline: keeps the catalogue in step with the provider's feeds, within the licence window.

Usage: feedline <command> [options]      feedline help <command>      feedline --version

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Environment (all optional; see .env.example):
${Object.entries(ENV).map(([name, [, fallback, help]]) => `  ${name.padEnd(envWidth)}  ${help}${fallback ? ` [${fallback}]` : ''}`).join('\n')}

Logs go to stderr: warnings and errors only for interactive commands, everything at LOG_LEVEL
(default info) for serve and worker; --verbose or LOG_LEVEL gives any command the full log.

Exit codes: 0 ok, 1 unexpected error, 2 usage or configuration error, 3 feed rejected,
4 not found, 5 PostgreSQL or Redis unreachable; status and sla add their own (see --help).`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    stdout.line(`feedline ${packageVersion()}`);
    return ExitCode.ok;
  }
  // `feedline help COMMAND` is `feedline COMMAND --help`.
  if (name === 'help' && rest[0] !== undefined) return main([rest[0], '--help']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    stdout.line(usage());
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  let logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  let databaseUrl: string | undefined;
  let censor = censorer([]);
  try {
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const config = loadConfig();
    databaseUrl = config.databaseUrl;
    // Interactive commands log warnings and errors only, so log lines do not break into the
    // progress bar or the summary; LOG_LEVEL or --verbose gives the full log.
    const verbose = rest.includes('--verbose');
    if (verbose) rest.splice(rest.indexOf('--verbose'), 1);
    const quiet = !LONG_RUNNING.has(command.name) && !verbose && process.env.LOG_LEVEL === undefined;
    logger = createLogger({ level: quiet ? 'warn' : config.logLevel, secrets: config.secrets });
    censor = censorer(config.secrets);
    const stopping = stopSignals(logger, config.shutdownGraceMs, () => process.exit(ExitCode.unexpected));
    if (!LONG_RUNNING.has(command.name)) return await command.run(rest, { config, logger, out: stdout, stopping });
    // Only when asked (FEEDLINE_EXIT_WITH_PARENT, or under npm): README "Running in the background".
    if (config.exitWithParent) {
      exitWithParent(logger, () => {
        logger.warn({ command: command.name }, 'parent process gone; stopping');
        process.kill(process.pid, 'SIGTERM');
      });
    }
    return await command.run(rest, { config, logger, out: stdout, stopping });
  } catch (thrown) {
    // A privilege missing for the run itself (a table, a sequence) is configuration too, with its GRANT.
    const err = asFeedlineError(thrown) ?? (databaseUrl ? refusal(thrown, databaseUrl, describeUrl(databaseUrl)) : undefined);
    if (err) {
      process.stderr.write(censor(`feedline ${name}: ${err.message}\n`));
      return err.exitCode;
    }
    const cause = coerceError(thrown);
    logger.fatal({ err: cause }, 'unexpected error');
    process.stderr.write(censor(`feedline ${name}: unexpected error: ${cause.message}\n`));
    return ExitCode.unexpected;
  } finally {
    logger.flush();
    if (command && LONG_RUNNING.has(command.name)) endWhenStopped(logger);
  }
}

/** From package.json: two levels up from src/cli, three from the built dist/src/cli. */
function packageVersion(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'feedline' && manifest.version) return manifest.version;
    } catch {
      // not at this level; try the next
    }
  }
  return 'unknown';
}

function asFeedlineError(thrown: unknown): FeedlineError | undefined {
  if (thrown instanceof FeedlineError) return thrown;
  const code = (thrown as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new NotFoundError(`no such file: ${(thrown as NodeJS.ErrnoException).path ?? ''}`);
  return undefined;
}

process.exitCode = await main(process.argv.slice(2));

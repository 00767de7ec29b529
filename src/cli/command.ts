import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Output } from './output.js';

export interface CommandContext {
  config: Config;
  logger: Logger;
  out: Output;
  /** Resolves when the process is asked to stop (SIGTERM, SIGINT). */
  stopping: Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  /** The full `feedline NAME --help` text. */
  help: string;
  /** Returns the exit code; throws FeedlineErrors for the documented failures. */
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

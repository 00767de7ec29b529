import { hashPassword } from '../http/passwords.js';
import { UsageError } from '../errors.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';

/** All of stdin, so the password never appears in a command line or shell history. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: 'Hash a dashboard password (read from stdin) for FEEDLINE_DASHBOARD_PASSWORD_HASH',
  help: `Usage: feedline hash-password < password-file
       printf %s 'the password' | feedline hash-password

Reads a password from stdin and prints its scrypt hash, for FEEDLINE_DASHBOARD_PASSWORD_HASH
or FEEDLINE_DASHBOARD_ADMIN_PASSWORD_HASH (or their _FILE variants). The configuration then
holds nothing anyone could sign in with. Needs no database.

Exit codes: 0 ok; 2 usage (empty password, or shorter than 8 characters).`,
  async run(argv, ctx) {
    const { values } = parseCommand('hash-password', argv, {}, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const password = await readStdin();
    if (password.length < 8) throw new UsageError('the password read from stdin is shorter than 8 characters');
    ctx.out.line(await hashPassword(password));
    return 0;
  },
};

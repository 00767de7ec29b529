// PostgreSQL answering "no" is not PostgreSQL being unreachable: a database that does not
// exist, a role refused or without privileges is configuration (exit 2), told in words with
// what to do. The SQLSTATE codes reacted to, by name.
import { UsageError } from '../errors.js';

type Context = { database: string; role: string; where: string };
type Refused = { code?: string; message?: string; detail?: string };

const REFUSALS: Record<string, (c: Context, e: Refused) => string> = {
  // invalid_catalog_name
  '3D000': (c) => `database ${c.database} does not exist on ${c.where}: create it (createdb ${c.database}) or fix DATABASE_URL`,
  // insufficient_privilege: what is missing, and the GRANT (run as the database's owner) that fixes it
  '42501': (c, e) => `${e.message ?? 'permission denied'} (role ${c.role} on ${c.where}): ${privilegeRemedy(c, e)}`,
  // invalid_authorization_specification, invalid_password
  '28000': (c) => `PostgreSQL at ${c.where} refused role ${c.role}: check pg_hba.conf and the user in DATABASE_URL`,
  '28P01': (c) => `PostgreSQL at ${c.where} refused the password of role ${c.role}: check DATABASE_URL`,
};

/**
 * The grant for a privilege PostgreSQL refused, read from its message: CONNECT at connection,
 * CREATE on the database (the migrations create schema drizzle), CREATE and USAGE on a schema
 * (they create tables in public), and the table and sequence rights every run needs.
 */
function privilegeRemedy(c: Context, e: Refused): string {
  const role = quoteIdent(c.role);
  const message = e.message ?? '';
  if (/CONNECT privilege/i.test(e.detail ?? '')) return `GRANT CONNECT ON DATABASE ${quoteIdent(c.database)} TO ${role};`;
  if (/for database/i.test(message)) return `GRANT CREATE ON DATABASE ${quoteIdent(c.database)} TO ${role}; (the migrations create a schema)`;
  const schema = /for schema (\S+)/i.exec(message)?.[1];
  if (schema) return `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${role}; (the migrations create tables in it)`;
  if (/for sequence/i.test(message)) return `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${role};`;
  if (/for (table|relation)/i.test(message)) return `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};`;
  if (/must be owner/i.test(message)) return `make ${role} the owner of the feedline tables (ALTER TABLE ... OWNER TO ${role}), or run the migrations as their owner`;
  return `grant role ${role} the privilege named above`;
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The PostgreSQL error in a chain of causes (drizzle wraps the driver's error). */
function refusedError(err: unknown): Refused | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as Refused).code;
    if (typeof code === 'string' && code in REFUSALS) return e as Refused;
  }
  return undefined;
}

/** A UsageError for a refusal, or undefined for anything else (never the password). */
export function refusal(err: unknown, url: string, where: string): UsageError | undefined {
  const refused = refusedError(err);
  if (!refused) return undefined;
  let database = '(unknown)';
  let role = '(unknown)';
  try {
    const u = new URL(url);
    database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
    role = decodeURIComponent(u.username) || process.env.PGUSER || 'postgres';
  } catch { /* keep the placeholders: the URL was validated before */ }
  return new UsageError(REFUSALS[refused.code!]!({ database, role, where }, refused), { cause: err });
}

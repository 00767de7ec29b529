// PostgreSQL answering "no" is not PostgreSQL being unreachable: a database that does not
// exist, a role refused or without privileges is configuration (exit 2), told in words with
// what to do. The SQLSTATE codes reacted to, by name.
import { UsageError } from '../errors.js';

const REFUSALS: Record<string, (c: { database: string; role: string; where: string }) => string> = {
  // invalid_catalog_name
  '3D000': (c) => `database ${c.database} does not exist on ${c.where}: create it (createdb ${c.database}) or fix DATABASE_URL`,
  // insufficient_privilege
  '42501': (c) => `permission denied for database ${c.database} on ${c.where}: grant CONNECT (and CREATE, for migrations) on database ${c.database} to role ${c.role}`,
  // invalid_authorization_specification, invalid_password
  '28000': (c) => `PostgreSQL at ${c.where} refused role ${c.role}: check pg_hba.conf and the user in DATABASE_URL`,
  '28P01': (c) => `PostgreSQL at ${c.where} refused the password of role ${c.role}: check DATABASE_URL`,
};

/** A UsageError for a refusal, or undefined for anything else (never the password). */
export function refusal(err: unknown, url: string, where: string): UsageError | undefined {
  const code = (err as { code?: string } | null)?.code;
  const explain = code ? REFUSALS[code] : undefined;
  if (!explain) return undefined;
  let database = '(unknown)';
  let role = '(unknown)';
  try {
    const u = new URL(url);
    database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
    role = decodeURIComponent(u.username) || process.env.PGUSER || 'postgres';
  } catch { /* keep the placeholders: the URL was validated before */ }
  return new UsageError(explain({ database, role, where }), { cause: err });
}

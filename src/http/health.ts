// Liveness and readiness. Alive: the process answers. Ready: PostgreSQL answers, every
// committed migration is applied, and Redis answers when it is configured.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RedisConnection } from '../queue/redis.js';
import type { Database } from '../db/client.js';
import { appliedMigrationCount, ping } from '../db/health.js';
import { migrationsFolder } from '../db/migrate.js';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

const CHECK_TIMEOUT_MS = 3_000;

/** How many migrations this build ships (schema/migrations/meta/_journal.json). */
export function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

export async function checkReadiness(deps: { db: Database; redis?: RedisConnection }): Promise<Readiness> {
  const checks: Record<string, CheckResult> = {};
  checks.postgres = await timed(async () => {
    await ping(deps.db.orm);
    return { ok: true };
  });
  checks.migrations = await timed(async () => {
    const expected = expectedMigrations();
    const applied = await appliedMigrationCount(deps.db.orm);
    return applied >= expected ? { ok: true, detail: `${applied} applied` } : { ok: false, detail: `${applied} of ${expected} applied` };
  });
  if (deps.redis) {
    const redis = deps.redis;
    checks.redis = await timed(async () => {
      await redis.ping();
      return { ok: true };
    });
  }
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

async function timed(check: () => Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer in ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch((err: unknown) => ({ ok: false, detail: (err as Error).message })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

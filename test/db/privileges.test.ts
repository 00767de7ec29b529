// Every refusal by the database explained (issue 24): a role that may connect but not create
// gets exit 2 with the GRANT that fixes it, step by step, as the missing-CONNECT case does;
// a throwaway role and database of this file's own, dropped afterwards.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedline } from '../helpers/cli.js';
import { ADMIN_URL, recreateDatabase, testDatabaseName } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';

const FILE = 'test/db/privileges.test.ts';
const name = `${testDatabaseName(FILE)}_grants`;
const role = `${name}_role`;
let env: Record<string, string>;

async function asAdmin(statements: string[], database = 'postgres'): Promise<void> {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    for (const statement of statements) await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  const url = new URL(await recreateDatabase(name));
  await asAdmin([`drop role if exists ${role}`, `create role ${role} login`, `revoke create on database ${name} from public`]);
  await asAdmin(['revoke create on schema public from public'], name);
  url.username = role;
  env = { DATABASE_URL: url.toString(), FEEDLINE_HOME: tempDir('feedline-home-') };
});
afterAll(async () => {
  await asAdmin([`drop database if exists ${name} with (force)`, `drop role if exists ${role}`]);
});

describe('a role that may connect but not create', () => {
  it('is told each GRANT it lacks, exit 2, until the migrations run', async () => {
    const noDatabaseCreate = await feedline(['migrate'], env);
    expect(noDatabaseCreate.code, noDatabaseCreate.stderr).toBe(2);
    expect(noDatabaseCreate.stderr).toContain(`GRANT CREATE ON DATABASE ${name} TO ${role};`);
    expect(noDatabaseCreate.stderr).not.toContain('unexpected error');

    await asAdmin([`grant create on database ${name} to ${role}`]);
    const noSchemaCreate = await feedline(['status'], env);
    expect(noSchemaCreate.code, noSchemaCreate.stderr).toBe(2);
    expect(noSchemaCreate.stderr).toContain(`GRANT USAGE, CREATE ON SCHEMA public TO ${role};`);

    await asAdmin([`grant usage, create on schema public to ${role}`], name);
    const migrated = await feedline(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
  }, 120_000);
});

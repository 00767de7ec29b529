// What a clone can stand on: the README and --help point at docs/feeds.md (which exists and
// documents every CSV column feedline reads), never at a file outside the repository; the
// compose file carries the DDEX drop and the login settings; documented defaults agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../src/config/schema.js';
import { ENTITY_FIELDS } from '../../src/catalogue/columns.js';
import { feedline, ROOT } from '../helpers/cli.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('operator documentation', () => {
  it('docs/feeds.md lists every CSV column of every entity, with its type', () => {
    const doc = read('docs/feeds.md');
    for (const [entity, fields] of Object.entries(ENTITY_FIELDS)) {
      const section = doc.slice(doc.indexOf(`### ${entity[0]!.toUpperCase()}${entity.slice(1)} columns`));
      for (const field of fields) expect(section, `${entity}.${field.header}`).toMatch(new RegExp(`\\| \`${field.header}\` \\| ${field.type} \\|`));
    }
    expect(doc).not.toMatch(/placeholder|TODO|to be written/i);
  });

  it('README and --help point at docs/feeds.md, not at a file a clone lacks', async () => {
    const help = await feedline(['--help'], {});
    for (const text of [read('README.md'), help.stdout]) {
      expect(text).not.toMatch(/(?<!docs\/)FEEDS\.md/);
      expect(text).not.toContain('shared/FEEDS');
    }
    expect(read('README.md')).toContain('[docs/feeds.md](docs/feeds.md)');
  });

  it('docker-compose.yml mounts a DDEX drop folder and configures the login', () => {
    // Section by section: the text between one service's name and the next.
    const compose = read('docker-compose.yml');
    const service = (name: string) => compose.slice(compose.indexOf(`\n  ${name}:\n`), compose.indexOf('\n\n', compose.indexOf(`\n  ${name}:\n`)));
    const scheduler = service('scheduler');
    expect(scheduler).toContain('FEEDLINE_DDEX_DROP_DIR: /var/lib/feedline-ddex');
    expect(scheduler).toMatch(/- \S+:\/var\/lib\/feedline-ddex/);
    const api = service('api');
    for (const name of ['FEEDLINE_DASHBOARD_USER:', 'FEEDLINE_DASHBOARD_PASSWORD_HASH_FILE:', 'FEEDLINE_DASHBOARD_ADMIN_USER:', 'FEEDLINE_SESSION_SECRET_FILE:']) expect(api, name).toContain(name);
    expect(compose).toMatch(/readable by uid 10001/);
  });

  it('the documented defaults agree: README settings table, .env.example names, --help', () => {
    const readme = read('README.md');
    const example = read('.env.example');
    const row = (name: string) => readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    for (const name of Object.keys(ENV)) {
      expect(row(name), name).toBeDefined();
      expect(example, name).toContain(name);
    }
    // The two places that state FEEDLINE_START_DATE's default say the same as --help.
    const startDefault = /\(default: ([^)]+)\)/.exec(ENV.FEEDLINE_START_DATE[2])![1]!;
    expect(row('FEEDLINE_START_DATE')).toContain(`(default: ${startDefault})`);
    expect(readme).toContain(`starts at \`FEEDLINE_START_DATE\`\n  (default: ${startDefault})`);
    for (const name of ['FEEDLINE_DASHBOARD_PASSWORD_HASH', 'FEEDLINE_DASHBOARD_ADMIN_USER', 'FEEDLINE_SESSION_SECRET', 'FEEDLINE_SESSION_HOURS'] as const) {
      expect(row(name), name).toContain(ENV[name][2]);
    }
  });
});

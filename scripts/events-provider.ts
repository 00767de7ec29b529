// The provider stand-in as a command, for demos and manual checks (README "Catalogue Events"):
//
//   node --import tsx scripts/events-provider.ts keygen DIR
//       a fresh key pair: DIR/provider.pem (give it to FEEDLINE_EVENTS_PUBLIC_KEY_FILE) and
//       DIR/provider.private.jwk (the stand-in's signing key)
//   node --import tsx scripts/events-provider.ts post --keys DIR --url http://127.0.0.1:8081 \
//       [--validation] [--backfill N] [--items-per-body 3] [--concurrency 8] [--gzip-share 0.1] [FILE|DIR ...]
//       posts the files' bodies (each a JSON array of items in the provider's published
//       shape; a file of JSON lines is one body per line; Enhanced Metadata, whose items carry
//       `trackId`, to /events/enhanced), the three validation events the provider sends when a
//       service goes live (--validation: Maximum Release, Minimum Non-Takedown Release,
//       Explicit Takedown, negative ids), and N generated releases of 3 versions each in
//       bodies of 1 to --items-per-body items; shuffled, concurrently, retrying non-2XX
//       answers (shortened), and prints what was acknowledged as JSON.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, importJWK, type CryptoKey, type JWK } from 'jose';
import { bodiesOf, generateBackfill } from '../test/helpers/event-backfill.js';
import { validationEvents } from '../test/helpers/events.js';
import { deliver, generateProviderKeys, type ProviderKeys } from '../test/helpers/provider.js';

async function keygen(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const keys = await generateProviderKeys('standin');
  await writeFile(path.join(dir, 'provider.pem'), keys.publicKeyPem);
  await writeFile(path.join(dir, 'provider.private.jwk'), JSON.stringify(await exportJWK(keys.privateKey)), { mode: 0o600 });
  process.stdout.write(`${path.join(dir, 'provider.pem')}\n`);
}

async function loadKeys(dir: string): Promise<ProviderKeys> {
  const jwk = JSON.parse(await readFile(path.join(dir, 'provider.private.jwk'), 'utf8')) as JWK;
  const privateKey = await importJWK(jwk, 'RS256') as CryptoKey;
  return { privateKey, publicKeyPem: await readFile(path.join(dir, 'provider.pem'), 'utf8'), publicJwk: {}, kid: 'standin' };
}

async function bodiesFrom(target: string): Promise<unknown[]> {
  if ((await stat(target)).isDirectory()) {
    const names = (await readdir(target)).filter((n) => /\.(json|jsonl|ndjson)$/.test(n)).sort();
    return (await Promise.all(names.map((n) => bodiesFrom(path.join(target, n))))).flat();
  }
  const text = await readFile(target, 'utf8');
  try {
    return [JSON.parse(text)];
  } catch {
    return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
  }
}

/** Enhanced Metadata items carry `trackId`; everything else is Standard Metadata. */
function endpointOf(body: unknown): 'standard' | 'enhanced' {
  const first: unknown = Array.isArray(body) ? body[0] : undefined;
  return first !== null && typeof first === 'object' && 'trackId' in first ? 'enhanced' : 'standard';
}

async function post(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      keys: { type: 'string' }, url: { type: 'string' }, validation: { type: 'boolean' }, backfill: { type: 'string' }, 'items-per-body': { type: 'string' },
      concurrency: { type: 'string' }, 'gzip-share': { type: 'string' },
    },
  });
  if (!values.keys || !values.url) throw new Error('post needs --keys DIR and --url BASE');
  const base = values.url.replace(/\/$/, '');
  const bodies = (await Promise.all(positionals.map(bodiesFrom))).flat();
  if (values.validation) {
    const { maximum, minimum, takedown } = validationEvents();
    bodies.push([maximum], [minimum], [takedown]);
  }
  if (values.backfill) bodies.push(...bodiesOf(generateBackfill({ releases: Number(values.backfill), versions: 3, tracks: 10 }).events, Number(values['items-per-body'] ?? 3)));
  const events = bodies.map((body) => ({ url: `${base}/events/${endpointOf(body)}`, body }));
  const report = await deliver(events, {
    keys: await loadKeys(values.keys), concurrency: Number(values.concurrency ?? 8), shuffle: true, retries: 6, retryDelayMs: 250,
    gzipShare: Number(values['gzip-share'] ?? 0.1),
  });
  process.stdout.write(`${JSON.stringify({ bodies: events.length, items: bodies.reduce((n: number, b) => n + (Array.isArray(b) ? b.length : 1), 0), acknowledged: report.acknowledged.length, parked: report.parked.length, firstParked: report.parked.slice(0, 10), attempts: report.attempts, statuses: report.statuses }, null, 2)}\n`);
  process.exitCode = report.parked.length > 0 ? 1 : 0;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'keygen' && rest[0]) await keygen(rest[0]);
else if (command === 'post') await post(rest);
else {
  process.stderr.write('usage: events-provider.ts keygen DIR | post --keys DIR --url BASE [--validation] [--backfill N] [--items-per-body N] [FILE|DIR ...]\n');
  process.exitCode = 2;
}

// The layers of src/ (issue 11), written down once, here. A folder may import its own files
// and the folders of the layers below it: never a folder beside it or above it. No import
// cycle is allowed, between files or folders. `npm run check:layers` (scripts/layers.mjs, also
// run before `npm test`) checks the code against these rules and the README's layer table
// against LAYERS; `npm run check:layers -- --write` renders that table.
//
// TypeScript 7 has no compiler API, so dependency-cruiser reads the sources with @swc/core
// (`parser: 'swc'`). `.js` specifiers resolve to the `.ts` files as TypeScript's NodeNext
// resolution does (dependency-cruiser's own rule; tsconfig.json has no path aliases).

/** Bottom first; each layer maps its folders to what they hold. `.` is the files in src/ itself. */
const LAYERS = [
  { '.': 'errors and logging' },
  { config: 'settings from the environment' },
  { catalogue: 'the catalogue model: columns per entity, versions, display titles, parsed rows, DDEX facts, a batch\'s payload' },
  { db: 'SQL statements; the one reader of the drizzle tables in `schema/`', parse: 'the streaming CSV parser; `parse/ddex/` the DDEX reader, one module per part of a message' },
  { apply: 'batch merge; availability (territories, windows, schedules) of DDEX releases and Catalogue Events', archive: 'the raw archive: a directory or PostgreSQL' },
  { queue: 'BullMQ jobs, sink, workers; `wiring.ts` makes every queue and worker' },
  { sla: 'deadlines, timers, sweep, alerts' },
  { ingest: 'one run lifecycle for every source (register, archive, resume, SLA timers, reject) with a CSV and a DDEX adapter; recovery' },
  { feeds: 'fetch, schedule, pull, full-feed reconcile', events: 'the Catalogue Events receiver and apply' },
  { gate: 'the playback gate', http: 'the SLA page, metrics, health, login' },
  { roles: 'what each `feedline serve` role runs' },
  { cli: 'one file per command' },
];

const folderPath = (folder) => (folder === '.' ? '^src/[^/]+$' : `^src/${folder}/`);
const folderName = (folder) => (folder === '.' ? 'src/*.ts' : folder);

const layerRules = LAYERS.flatMap((layer, index) => {
  const below = LAYERS.slice(0, index).flatMap((lower) => Object.keys(lower));
  return Object.keys(layer).map((folder) => ({
    name: `layer-${folder === '.' ? 'root' : folder}`,
    severity: 'error',
    comment: `${folderName(folder)} (layer ${index + 1}) imports only ${below.length ? below.map(folderName).join(', ') : 'packages'}`,
    from: { path: folderPath(folder) },
    to: { path: '^src/', pathNot: [folderPath(folder), ...below.map(folderPath)] },
  }));
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycle, type-only imports included', from: { path: '^src/' }, to: { circular: true } },
    { name: 'schema-is-db', severity: 'error', comment: 'the drizzle tables (schema/) are read through db/ alone', from: { path: '^src/', pathNot: '^src/db/' }, to: { path: '^schema/' } },
    ...layerRules,
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
  },
};

// For scripts/layers.mjs (the README table); not part of the configuration dependency-cruiser validates.
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });

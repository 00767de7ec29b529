// The layering check of issue 11: dependency-cruiser over src/ with the rules of
// .dependency-cruiser.cjs, and the README's layer table against the LAYERS of that file.
// Fails (exit 1) on any violation, on a source file dependency-cruiser could not read (it
// would pass them silently), and on a README table that is not the rendered one.
//
//   npm run check:layers                 the check (also run before `npm test`)
//   npm run check:layers -- --write      rewrite the README's table from LAYERS
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';

const ROOT = process.cwd();
const README = path.join(ROOT, 'README.md');
const BEGIN = '<!-- layers:begin -->';
const END = '<!-- layers:end -->';

/** @type {import('dependency-cruiser').IConfiguration & { LAYERS: Record<string, string>[] }} */
const config = createRequire(path.join(ROOT, 'package.json'))('./.dependency-cruiser.cjs');

/** Top layer first, as the stack reads. */
function layerTable(layers) {
  const rows = layers
    .map((layer, index) => Object.entries(layer).map(([folder, holds]) => `| ${index + 1} | \`${folder === '.' ? 'src/*.ts' : `src/${folder}/`}\` | ${holds} |`))
    .reverse()
    .flat();
  return ['| Layer | Folder | Holds |', '| ---: | --- | --- |', ...rows].join('\n');
}

function withTable(readme, table) {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} ... ${END} section`);
  return `${readme.slice(0, start + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

/** @returns {string[]} */
function typeScriptFiles(dir) {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return typeScriptFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

let failed = false;

const readme = readFileSync(README, 'utf8');
const rendered = withTable(readme, layerTable(config.LAYERS));
if (process.argv.includes('--write')) {
  writeFileSync(README, rendered);
} else if (rendered !== readme) {
  console.error('README.md: the layer table is not the one .dependency-cruiser.cjs gives; run `npm run check:layers -- --write`');
  failed = true;
}

/** @type {import('dependency-cruiser').ICruiseResult} */
const result = (await cruise(['src'], { ...config.options, baseDir: ROOT, validate: true, ruleSet: { forbidden: config.forbidden ?? [] } })).output;
const read = new Set(result.modules.map((m) => m.source));
const sources = typeScriptFiles('src');
const unread = sources.filter((file) => !read.has(file));
if (unread.length > 0) {
  console.error(`dependency-cruiser read ${sources.length - unread.length} of ${sources.length} files in src/ (first unread: ${unread[0]}): it parses TypeScript with @swc/core, which must be installed`);
  failed = true;
}
for (const v of result.summary.violations) {
  const route = v.cycle ? [v.from, ...v.cycle.map((step) => step.name)].join(' → ') : `${v.from} → ${v.to}`;
  const reason = config.forbidden?.find((rule) => rule.name === v.rule.name)?.comment;
  console.error(`${v.rule.severity} ${v.rule.name}: ${route}${reason ? `\n    (${reason})` : ''}`);
}
if (result.summary.error > 0) {
  console.error(`${result.summary.error} layering violations (rules and their reasons: .dependency-cruiser.cjs)`);
  failed = true;
}

if (failed) process.exitCode = 1;
else console.log(`layers: ${result.summary.totalCruised} modules, ${result.summary.totalDependenciesCruised ?? 0} dependencies, no violations; README table current`);

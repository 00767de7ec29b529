#!/usr/bin/env bash
# Runs the built image (scripts/build-image.sh) as a platform would: its own entrypoint, user,
# working directory and environment (read with `buildah inspect`), network host, against the
# local PostgreSQL (a database made for this run) and Redis (a queue prefix for this run).
# Checks: contents (no dev dependencies, tests, sources or .git), non-root and unable to write
# outside its home, migrate, serve --role worker and scheduler answering the image's own
# HEALTHCHECK, a feed ingested by the image's CLI and applied by its worker, SIGTERM within the
# grace period, and docker-compose*.yml naming only commands and settings the image has.
#   scripts/check-image-run.sh            (as root; FEEDLINE_IMAGE=localhost/feedline:ci)
set -euo pipefail
cd "$(dirname "$0")/.."

buildah() { command buildah --storage-driver "${STORAGE_DRIVER:-vfs}" "$@"; }
fail() { echo "image check FAILED: $*" >&2; exit 1; }
image=${FEEDLINE_IMAGE:-localhost/feedline:ci}
run_id=$$_$RANDOM
db=feedline_image_$run_id
prefix=feedline-image-$run_id
grace_ms=10000
work=$(mktemp -d /tmp/feedline-image-run-XXXXXX)
ctr=
declare -A started=()

cleanup() {
  for role in "${!started[@]}"; do kill -KILL "${started[$role]}" 2>/dev/null || true; done
  if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 --scan --pattern "$prefix:*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

buildah inspect --type image "$image" >"$work/inspect.json" 2>/dev/null || fail "no image $image (scripts/build-image.sh)"
# The image's own settings, one per line: ENTRYPOINT words, then HEALTHCHECK words.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
c = json.load(open(f'{work}/inspect.json'))['Docker']['config']
test = (c.get('Healthcheck') or {}).get('Test') or []
assert test[:1] == ['CMD'], f'HEALTHCHECK must be exec form (CMD [...]), is {test}'
assert c.get('Entrypoint'), 'no ENTRYPOINT'
open(f'{work}/entrypoint', 'w').write('\0'.join(c['Entrypoint']))
open(f'{work}/healthcheck', 'w').write('\0'.join(test[1:]))
open(f'{work}/user', 'w').write(c.get('User') or '')
open(f'{work}/stopsignal', 'w').write(c.get('StopSignal') or 'SIGTERM')
PY
mapfile -d '' -t entrypoint <"$work/entrypoint"
mapfile -d '' -t healthcheck <"$work/healthcheck"
[ -n "$(cat "$work/user")" ] || fail "the image has no USER: it would run as root"
stopsignal=$(cat "$work/stopsignal")

ctr=$(buildah from --pull=never --name "feedline-check-$run_id" "$image")
# buildah run takes the image's user, working directory and environment from the container.
in_image() { buildah run --isolation chroot --network host "$@"; }

echo "== contents"
uid=$(in_image "$ctr" -- id -u)
[ "$uid" != 0 ] || fail "the image's user is root"
home=$(in_image "$ctr" -- sh -c 'printf %s "$FEEDLINE_HOME"')
in_image "$ctr" -- node -e "
const fs = require('node:fs');
const bad = ['.git', 'test', 'src', 'bench', 'docs', 'fixtures', 'node_modules/vitest', 'node_modules/tsx',
  'node_modules/drizzle-kit', 'node_modules/playwright-core', 'node_modules/patch-package', 'node_modules/@swc/core']
  .filter((p) => fs.existsSync(p));
if (bad.length) { console.error('in the runtime image and should not be:', bad.join(', ')); process.exit(1); }
fs.accessSync('dist/src/cli/main.js', fs.constants.R_OK);
if (!fs.readFileSync('node_modules/postgres/src/connection.js', 'utf8').includes('feedline patch')) {
  console.error('postgres.js is not patched (patches/)'); process.exit(1);
}
// The user writes its home and nothing else of the image.
fs.writeFileSync(process.env.FEEDLINE_HOME + '/.write-check', 'x');
fs.rmSync(process.env.FEEDLINE_HOME + '/.write-check');
for (const dir of ['/', '/app', '/app/dist', '/app/node_modules', '/app/schema/migrations', '/etc', '/usr/local/bin']) {
  try { fs.writeFileSync(dir + '/.write-check', 'x'); console.error('the image user can write ' + dir); process.exit(1); }
  catch (err) { if (err.code !== 'EACCES' && err.code !== 'EROFS') throw err; }
}" || fail "image contents or permissions"
echo "user uid $uid, writes only $home; no dev dependencies, tests, sources or .git"

echo "== migrate ($db, queue prefix $prefix)"
psql -h 127.0.0.1 -U postgres -d postgres -qc "create database $db" >/dev/null
# DATABASE_URL as docker-compose.yml passes it: a secret file readable by the image's user only.
mkdir -p "$work/secrets" "$work/feeds"
printf 'postgres://postgres@127.0.0.1:5432/%s' "$db" >"$work/secrets/database_url"
chown -R "$uid" "$work/secrets" && chmod 500 "$work/secrets" && chmod 400 "$work/secrets/database_url"
cp fixtures/csv/GB_track_updates_20261120.csv.gz "$work/feeds/"
chmod -R a+rX "$work/feeds"
env_args=(-e DATABASE_URL_FILE=/run/secrets/database_url -e REDIS_URL=redis://127.0.0.1:6379/0
  -e FEEDLINE_QUEUE_PREFIX="$prefix" -e FEEDLINE_HTTP_HOST=127.0.0.1 -e LOG_LEVEL=warn
  -e FEEDLINE_SHUTDOWN_GRACE_MS=$grace_ms -v "$work/secrets:/run/secrets:ro" -v "$work/feeds:/feeds:ro")
in_image "${env_args[@]}" "$ctr" -- "${entrypoint[@]}" migrate || fail "migrate"
applied=$(psql -h 127.0.0.1 -U postgres -d "$db" -tAc "select count(*) from drizzle.__drizzle_migrations")
[ "$applied" -eq "$(ls schema/migrations/*.sql | wc -l)" ] || fail "migrate applied $applied migrations"
echo "migrations applied: $applied"

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# The node process a `buildah run` started (chroot isolation shares the host's pid namespace).
node_pid_under() {
  local pid=$1 child
  for child in $(pgrep -P "$pid"); do
    if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = node ]; then echo "$child"; return; fi
    node_pid_under "$child"
  done
}
declare -A ports=() node_pids=()
start_role() {
  local role=$1 port
  port=$(free_port)
  ports[$role]=$port
  in_image "${env_args[@]}" -e FEEDLINE_HTTP_PORT="$port" "$ctr" -- "${entrypoint[@]}" serve --role "$role" \
    >"$work/$role.log" 2>&1 &
  started[$role]=$!
}
healthy() { in_image -e FEEDLINE_HTTP_PORT="${ports[$1]}" "$ctr" -- "${healthcheck[@]}" 2>/dev/null; }
wait_healthy() {
  local role=$1
  for _ in $(seq 60); do
    if healthy "$role"; then
      node_pids[$role]=$(node_pid_under "${started[$role]}")
      [ -n "${node_pids[$role]}" ] || fail "$role: no node process under buildah run"
      local ruid
      ruid=$(awk '/^Uid:/ {print $2}' "/proc/${node_pids[$role]}/status")
      [ "$ruid" = "$uid" ] || fail "$role runs as uid $ruid, not the image's $uid"
      curl -fsS "http://127.0.0.1:${ports[$role]}/readyz" >/dev/null || fail "$role: /readyz not 200"
      echo "$role: HEALTHCHECK ok, /readyz 200, uid $ruid"
      return
    fi
    kill -0 "${started[$role]}" 2>/dev/null || { cat "$work/$role.log" >&2; fail "$role exited before it was healthy"; }
    sleep 1
  done
  cat "$work/$role.log" >&2
  fail "$role did not pass the image's HEALTHCHECK within 60 s"
}

echo "== serve --role worker, serve --role scheduler"
start_role worker
start_role scheduler
wait_healthy worker
wait_healthy scheduler

echo "== a feed ingested by the image's CLI, applied by the image's worker"
in_image "${env_args[@]}" "$ctr" -- "${entrypoint[@]}" ingest /feeds/GB_track_updates_20261120.csv.gz --no-wait --json \
  >"$work/ingest.json" || { cat "$work/ingest.json" >&2; fail "ingest"; }
status=
for _ in $(seq 60); do
  status=$(psql -h 127.0.0.1 -U postgres -d "$db" -tAc "select string_agg(status, ',') from feed_runs")
  [ "$status" = applied ] && break
  sleep 1
done
[ "$status" = applied ] || { cat "$work/worker.log" >&2; fail "the feed run is '$status', not applied by the worker"; }
echo "feed run applied by the worker"

echo "== $stopsignal: each role exits 0 within FEEDLINE_SHUTDOWN_GRACE_MS ($grace_ms ms)"
for role in worker scheduler; do
  began=$(date +%s%N)
  kill -s "${stopsignal#SIG}" "${node_pids[$role]}"
  code=0
  timeout $(( grace_ms / 1000 + 5 )) tail --pid="${started[$role]}" -f /dev/null || fail "$role still running after the grace period"
  wait "${started[$role]}" || code=$?
  unset "started[$role]"
  [ "$code" = 0 ] || { cat "$work/$role.log" >&2; fail "$role exited $code on $stopsignal"; }
  echo "$role: exit 0 in $(( ($(date +%s%N) - began) / 1000000 )) ms"
done

echo "== docker-compose.yml and docker-compose.dir-archive.yml against the image"
python3 - >"$work/compose.json" <<'PY'
import json, re, yaml
base = yaml.safe_load(open('docker-compose.yml'))
extra = yaml.safe_load(open('docker-compose.dir-archive.yml'))
env, secrets, commands, problems = set(), set(), set(), []
for doc in (base, extra):
    for name, s in doc['services'].items():
        if name in ('postgres', 'redis'):
            continue
        env.update((s.get('environment') or {}).keys())
        for secret in s.get('secrets') or []:
            if secret not in base['secrets']:
                problems.append(f'{name}: secret {secret} is not defined')
            secrets.add(secret)
        if 'command' in s:
            commands.add(' '.join(s['command']))
        for v in s.get('volumes') or []:
            if v.split(':')[1] == '/var/lib/feedline' and v.split(':')[0] not in (doc.get('volumes') or {}):
                problems.append(f'{name}: volume {v} is not defined')
# Commands the comments and README run in the containers: `exec scheduler node bin/feedline.js status`.
text = open('docker-compose.yml').read()
commands.update(re.findall(r'node bin/feedline\.js ([a-z-]+)', text))
commands.update(re.findall(r'run --rm \w+ ([a-z-]+)', text))
x = base['x-feedline']
grace = int(x['environment']['FEEDLINE_SHUTDOWN_GRACE_MS'])
if int(x['stop_grace_period'].rstrip('s')) * 1000 <= grace:
    problems.append('stop_grace_period must be longer than FEEDLINE_SHUTDOWN_GRACE_MS')
print(json.dumps({'env': sorted(env), 'secrets': sorted(secrets), 'commands': sorted(commands), 'problems': problems}))
PY
cp "$work/compose.json" "$work/feeds/compose.json"
in_image -v "$work/feeds:/feeds:ro" "$ctr" -- node --input-type=module -e "
import { readFileSync } from 'node:fs';
import { ENV, SECRET_SETTINGS } from '/app/dist/src/config/schema.js';
// The settings load.js reads from *_FILE: the secret settings of the table, as compiled.
const c = JSON.parse(readFileSync('/feeds/compose.json', 'utf8'));
const problems = [...c.problems];
for (const name of c.env) {
  const setting = name.endsWith('_FILE') && !(name in ENV) ? name.slice(0, -5) : name;
  if (!(setting in ENV)) problems.push(name + ' is not a setting of the image (src/config/schema.ts)');
  else if (setting !== name && !SECRET_SETTINGS.includes(setting)) problems.push(name + ': the image reads no ' + name);
}
console.log(JSON.stringify(problems));
if (problems.length) process.exit(1);
" >"$work/compose-problems.json" || { cat "$work/compose-problems.json" >&2; fail "docker-compose files"; }
mapfile -t commands < <(python3 -c "import json,sys; [print(c) for c in json.load(open(sys.argv[1]))['commands']]" "$work/compose.json")
for cmd in "${commands[@]}"; do
  read -r -a words <<<"$cmd"
  # The role (or the command) must be one the image knows: its help names it, exit 0.
  in_image "$ctr" -- "${entrypoint[@]}" "${words[0]}" --help >"$work/help.txt" 2>&1 || fail "the image has no command '$cmd'"
  if [ "${words[1]:-}" = --role ]; then grep -q "${words[2]}" "$work/help.txt" || fail "the image's serve has no role ${words[2]}"; fi
done
echo "compose: ${#commands[@]} commands, every setting and secret exists in the image"
echo "image check: ok"

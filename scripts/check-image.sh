#!/usr/bin/env bash
# Runs what the Dockerfile and docker-compose.yml run, without Docker (no engine on our
# machines): the build stage's `npm ci` (which builds dist/ via `prepare`), the runtime
# stage's production-only install, then the image's command and HEALTHCHECK against the
# local PostgreSQL and Redis, a SIGTERM, and a parse of docker-compose.yml.
#   scripts/check-image.sh      (DATABASE_URL and REDIS_URL default to the test servers)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/feedline-image-XXXXXX)
trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/feedline_image_check}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
psql "${DATABASE_URL%/*}/postgres" -qc "drop database if exists feedline_image_check with (force)" -c "create database feedline_image_check" >/dev/null

echo "== build stage: COPY, npm ci (postinstall patches, prepare builds dist/), npm prune --omit=dev"
mkdir -p "$work/build"
cp package.json package-lock.json tsconfig.json tsconfig.build.json "$work/build/"
cp -r patches bin schema src workers "$work/build/"
(cd "$work/build" && npm ci --no-audit --no-fund --loglevel=error && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
test -f "$work/build/dist/src/cli/main.js"

echo "== runtime stage: COPY node_modules dist bin schema/migrations"
mkdir -p "$work/app/schema" "$work/home"
cp package.json package-lock.json "$work/app/"
cp -r "$work/build/node_modules" "$work/app/node_modules"
cp -r "$work/build/dist" "$work/app/dist"
cp -r bin "$work/app/bin"
cp -r schema/migrations "$work/app/schema/migrations"
# (typescript itself may appear: it is an optional peer of a production dependency, valibot.)
grep -q 'feedline patch' "$work/app/node_modules/postgres/src/connection.js" || { echo "postgres.js is not patched in the runtime image"; exit 1; }
for dev in vitest tsx drizzle-kit playwright-core patch-package; do
  test ! -d "$work/app/node_modules/$dev" || { echo "dev dependency $dev in the runtime image"; exit 1; }
done
echo "runtime node_modules: $(du -sh "$work/app/node_modules" | cut -f1)"

echo "== CMD: node bin/feedline.js serve --role worker, then the HEALTHCHECK, then SIGTERM"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
cd "$work/app"
NODE_ENV=production FEEDLINE_HOME="$work/home" FEEDLINE_HTTP_HOST=127.0.0.1 FEEDLINE_HTTP_PORT=$port \
  FEEDLINE_QUEUE_PREFIX=feedline-image-check LOG_LEVEL=warn node bin/feedline.js serve --role worker &
pid=$!
for _ in $(seq 100); do
  FEEDLINE_HTTP_PORT=$port node -e "fetch('http://127.0.0.1:' + (process.env.FEEDLINE_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break
  sleep 0.2
done
FEEDLINE_HTTP_PORT=$port node -e "fetch('http://127.0.0.1:' + (process.env.FEEDLINE_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
echo "healthcheck: ok"
curl -fsS "http://127.0.0.1:$port/readyz"; echo
kill -TERM $pid
wait $pid && echo "SIGTERM: exit 0"
pid=
cd "$root"

echo "== docker-compose.yml parses, and names the services and secrets it needs"
python3 - <<'PY'
import yaml
c = yaml.safe_load(open('docker-compose.yml'))
assert set(c['services']) == {'postgres', 'redis', 'scheduler', 'worker', 'api'}, c['services'].keys()
assert c['services']['worker']['deploy']['replicas'] == 2
assert 'noeviction' in c['services']['redis']['command'] and 'appendonly' in ' '.join(c['services']['redis']['command'])
for name in ('scheduler', 'worker', 'api'):
    s = c['services'][name]
    assert s['command'][0] == 'serve', name
    for secret in s['secrets']:
        assert secret in c['secrets'], secret
    # The archive is in PostgreSQL: no feedline container needs a shared volume.
    assert s['environment']['FEEDLINE_ARCHIVE'] == 'postgres', name
    assert not s.get('volumes'), name
d = yaml.safe_load(open('docker-compose.dir-archive.yml'))
for name in ('scheduler', 'worker', 'api'):
    assert d['services'][name]['environment']['FEEDLINE_ARCHIVE'] == 'dir', name
    assert d['services'][name]['volumes'] == ['archive:/var/lib/feedline'], name
print('compose: ok')
PY

#!/usr/bin/env bash
# A private PostgreSQL and a versitygw S3 server on loopback, for tests, the
# demo and the benchmarks.
#
#   scripts/testbed.sh run CMD...   start both, run CMD with their addresses
#                                   in the environment, stop both (always)
#   scripts/testbed.sh up | down    start or stop them for a longer session
#
# The addresses are written to .testbed/env (sourceable):
#   TEST_DATABASE_URL, TEST_PG_PORT, TEST_S3_ENDPOINT, TEST_S3_ACCESS_KEY,
#   TEST_S3_SECRET_KEY, TEST_S3_BUCKET, TEST_PG_BIN
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bed="$root/.testbed"
S3_ACCESS=testbed-access
S3_SECRET=testbed-secret-$(hostname | md5sum | cut -c1-12)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Postgres refuses root and must be able to reach its data folder: keep it in
# the project when the postgres user can walk there, else in a private /tmp folder.
pg_dir() {
  if runuser -u postgres -- test -x "$bed" 2>/dev/null; then echo "$bed/pg"; else echo "$bed.pg"; fi
}

up() {
  mkdir -p "$bed"
  chmod 755 "$bed"
  if [[ -f "$bed/env" ]]; then down >/dev/null 2>&1 || true; fi
  local pgdata pgport s3port
  pgdata="$(pg_dir)"
  [[ "$pgdata" == "$bed/pg" ]] || pgdata="$(mktemp -d /tmp/worker-testbed-pg.XXXXXX)"
  rm -rf "$pgdata"; mkdir -p "$pgdata"; chown postgres: "$pgdata"; chmod 700 "$pgdata"
  echo "$pgdata" > "$bed/pgdata"
  pgport=$(free_port)
  runuser -u postgres -- initdb -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$bed/initdb.log" 2>&1
  cat >>"$pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = ''
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  runuser -u postgres -- pg_ctl -D "$pgdata" -l "$pgdata/server.log" -w -t 60 start >/dev/null

  local s3dir="$bed/s3"
  rm -rf "$s3dir"; mkdir -p "$s3dir"
  s3port=$(free_port)
  "$root/bin/versitygw" --port "127.0.0.1:$s3port" --access "$S3_ACCESS" --secret "$S3_SECRET" \
    --region auto posix "$s3dir" >"$bed/versitygw.log" 2>&1 &
  echo $! >"$bed/versitygw.pid"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break
    sleep 0.1
  done
  curl -sf -o /dev/null -X PUT -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:auto:s3" --user "$S3_ACCESS:$S3_SECRET" \
    "http://127.0.0.1:$s3port/testbed" || { echo "testbed: could not create bucket" >&2; cat "$bed/versitygw.log" >&2; exit 1; }

  cat >"$bed/env" <<ENV
export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable
export TEST_PG_PORT=$pgport
export TEST_PG_BIN=$(dirname "$(command -v pg_dump)")
export TEST_S3_ENDPOINT=http://127.0.0.1:$s3port
export TEST_S3_ACCESS_KEY=$S3_ACCESS
export TEST_S3_SECRET_KEY=$S3_SECRET
export TEST_S3_BUCKET=testbed
export TEST_S3_DIR=$s3dir
ENV
  echo "testbed: postgres on 127.0.0.1:$pgport, versitygw on 127.0.0.1:$s3port"
}

down() {
  if [[ -f "$bed/versitygw.pid" ]]; then
    kill "$(cat "$bed/versitygw.pid")" 2>/dev/null || true
    rm -f "$bed/versitygw.pid"
  fi
  if [[ -f "$bed/pgdata" ]]; then
    local pgdata; pgdata="$(cat "$bed/pgdata")"
    runuser -u postgres -- pg_ctl -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    [[ "$pgdata" == "$bed/pg" ]] || rm -rf "$pgdata"
    rm -f "$bed/pgdata"
  fi
  rm -f "$bed/env"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  run)
    shift
    # Armed before up, so a start that fails halfway stops what it started.
    trap down EXIT
    up
    # shellcheck disable=SC1091
    source "$bed/env"
    "$@"
    ;;
  *) echo "usage: $0 up|down|run CMD..." >&2; exit 2 ;;
esac

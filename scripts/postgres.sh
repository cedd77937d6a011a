#!/usr/bin/env bash
# A throwaway PostgreSQL server for the prover queue's bench and for trying the queue by hand
# (the tests start their own: test-support/src/postgres.rs). Debian's postgresql-15, installed by
# scripts/setup.sh when missing; durability off (fsync), so never for a real deployment.
#
#   scripts/postgres.sh start DIR [PORT]   # makes a cluster in DIR, starts it, prints its URL
#   scripts/postgres.sh stop DIR           # stops it (then rm -rf DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bin=/usr/lib/postgresql/15/bin
as_postgres=()
[ "$(id -u)" -ne 0 ] || as_postgres=(runuser -u postgres --)

case "${1:-}" in
  start)
    dir=$(realpath -m "${2:?usage: $0 start DIR [PORT]}")
    port=${3:-55432}
    install_build_packages
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
    if [ ! -d "$dir/data" ]; then
      (cd "$dir" && "${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        --no-locale -E UTF8 --no-sync >/dev/null)
    fi
    (cd "$dir" && "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -s \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off" start)
    psql -q "postgres://postgres@127.0.0.1:$port/postgres" \
      -c "SELECT 1 FROM pg_database WHERE datname = 'zksettle'" -tA | grep -q 1 \
      || psql -q "postgres://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE zksettle"
    echo "postgres://postgres@127.0.0.1:$port/zksettle"
    ;;
  stop)
    dir=$(realpath -m "${2:?usage: $0 stop DIR}")
    (cd "$dir" && "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -s stop)
    ;;
  *)
    echo "usage: $0 start DIR [PORT] | stop DIR" >&2
    exit 2
    ;;
esac

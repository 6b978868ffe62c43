#!/usr/bin/env bash
# The Redis token store's tests (tests/it/redis_store.rs, `redis` feature) against a redis-server of
# their own on 127.0.0.1: installs redis-server with apt-get when it is missing, starts one on a free
# port (6390 unless taken; FLUXER_REDIS_PORT to choose), runs the tests with FLUXER_REDIS_URL
# pointing at it, and stops that server (and only it) on exit. Extra arguments go to the test
# binary, e.g. `bash scripts/redis-tests.sh --nocapture`.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
phase() { echo "redis-tests: $*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
    phase "redis-server is missing: installing it with apt-get"
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi
installed=$SECONDS

# Whether something accepts connections on 127.0.0.1:$1.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port="${FLUXER_REDIS_PORT:-6390}"
for _ in $(seq 1 20); do
    if ! listening "$port"; then break; fi
    port=$((port + 1))
done
if listening "$port"; then
    phase "no free port found from ${FLUXER_REDIS_PORT:-6390} to $port"
    exit 1
fi

workdir=$(mktemp -d)
pidfile="$workdir/redis.pid"
stop_redis() {
    if [[ -s "$pidfile" ]]; then
        local pid
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap stop_redis EXIT

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$pidfile" --dir "$workdir" --logfile "$workdir/redis.log"
for _ in $(seq 1 50); do
    if [[ -s "$pidfile" ]] && listening "$port"; then break; fi
    sleep 0.1
done
if ! listening "$port"; then
    phase "redis-server did not start on 127.0.0.1:$port"
    cat "$workdir/redis.log" >&2 || true
    exit 1
fi
phase "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port (pid $(cat "$pidfile"))"

export FLUXER_REDIS_URL="redis://127.0.0.1:$port/"
cargo test --features redis --test it --no-run
built=$SECONDS
cargo test --features redis --test it -- redis_store:: "$@"
tested=$SECONDS

phase "install $((installed - started)) s, build $((built - installed)) s, tests $((tested - built)) s, total $((tested - started)) s"

#!/usr/bin/env bash
# pgpaired.sh: the reference server on PostgreSQL, two builds side by side.
#
# Builds examples/server at BASE (a commit; default cc7d7ad^, the code before
# issue 14's store work) and from the working tree, starts both on
# AUTHKIT_TEST_POSTGRES (each in a fresh schema, application_name old and new),
# runs BenchmarkSignInServers against them (alternating slices of 100 first
# sign-ins at 16 clients) and stops them.
#
#   AUTHKIT_TEST_POSTGRES=postgres://… examples/server/testdata/pgpaired.sh [BASE] [go test flags…]
#   default flags: -benchtime 600x -count 5
set -euo pipefail
: "${AUTHKIT_TEST_POSTGRES:?set AUTHKIT_TEST_POSTGRES}"
root=$(git rev-parse --show-toplevel)
base=${1:-cc7d7ad^}
shift || true
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(-benchtime 600x -count 5)
tmp=$(mktemp -d)
pids=()
schemas=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	for s in "${schemas[@]}"; do psql -q "$AUTHKIT_TEST_POSTGRES" -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/old-src"
git -C "$root" archive "$base" | tar -x -C "$tmp/old-src"
(cd "$tmp/old-src" && go build -o "$tmp/old" ./examples/server)
(cd "$root" && go build -o "$tmp/new" ./examples/server)

env=0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d
sep='?'; case $AUTHKIT_TEST_POSTGRES in *\?*) sep='&';; esac
servers=""
port=18480
for name in old new; do
	schema="paired_${name}_$$"
	schemas+=("$schema")
	psql -q "$AUTHKIT_TEST_POSTGRES" -c "CREATE SCHEMA $schema"
	port=$((port + 1))
	"$tmp/$name" -addr "127.0.0.1:$port" -env "$env" -dev=true -ip-limit "" -log-level error \
		-postgres "${AUTHKIT_TEST_POSTGRES}${sep}application_name=$name&search_path=$schema" \
		>"$tmp/$name.log" 2>&1 &
	pids+=($!)
	servers="$servers $name,$!,http://127.0.0.1:$port/api/v0/sdk/$env"
done
for i in $(seq 100); do
	ok=1
	for s in $servers; do
		curl -fsS -o /dev/null "${s##*,}/settings" 2>/dev/null || ok=0
	done
	[ $ok = 1 ] && break
	sleep 0.2
done
echo "base $(git -C "$root" rev-parse --short "$base"), new $(git -C "$root" describe --always --dirty)"
cd "$root"
AUTHKIT_BENCH_SERVERS="$servers" go test -run '^$' -bench 'SignInServers' "${flags[@]}" ./examples/server

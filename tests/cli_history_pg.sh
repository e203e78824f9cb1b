#!/usr/bin/env bash
# qbench history against a real PostgreSQL server: a throwaway cluster this
# script starts (initdb + pg_ctl as a non-root user, on a Unix socket in a
# temporary folder) and stops. The same runs give the same show and detect
# answers as an SQLite file; concurrent writers lose nothing; a duplicate, a
# run refused half way and a newer schema exit 2 and store nothing. Skipped,
# with a message, only when the PostgreSQL binaries are missing.
# shellcheck source=tests/lib_cli.sh
. "$(dirname "$0")/lib_cli.sh"
# shellcheck source=tests/lib_history.sh
. "$(dirname "$0")/lib_history.sh"

pg_start
history_runs
S=sqlite:$tmp/h.sqlite
for i in $(seq 1 14); do "$QB" history add "$tmp/runs/r$i.json" --db "$S" >/dev/null || bad "sqlite: add r$i"; done
for i in $(seq 1 14); do "$QB" history add "$tmp/runs/r$i.json" --db "$P" >/dev/null || bad "pg: add r$i"; done
expect_exit 2 "pg: the same run twice" -- history add "$tmp/runs/r3.json" --db "$P"
one_line "already in" && ok || bad "pg: duplicate message"
for q in "show --json" "show --json --filter ops/k1/fp32 --last 5" "detect --json" "detect --json --min-effect 2%"; do
    # shellcheck disable=SC2086
    "$QB" history $q --db "$P" >"$tmp/pg.json" 2>&1 || bad "pg: $q"
    # shellcheck disable=SC2086
    "$QB" history $q --db "$S" >"$tmp/sq.json" 2>&1
    cmp -s "$tmp/pg.json" "$tmp/sq.json" && grep -q '"schema"' "$tmp/pg.json" && ok || { bad "pg and sqlite differ: history $q"; diff "$tmp/pg.json" "$tmp/sq.json" | head -5; }
done
expect_exit 0 "pg: a libpq URI" -- history show --db "postgresql://qb@/postgres?host=$pg" --filter 'ops/k0/fp32:time' --json
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['series'][0]['runs']==14" "$tmp/out" && ok || bad "pg URI: 14 runs"
expect_exit 2 "pg: a run refused half way" -- history add "$tmp/dup.json" --db "$P"
"$QB" history show --db "$P" --json | $PY -c "import json,sys; d=json.load(sys.stdin); assert all(p['commit']!='cx' for s in d['series'] for p in s['points'])" && ok || bad "pg: refused run left rows"
# concurrent writers
add_concurrently "$P" "$tmp/pgfail"
"$QB" history show --db "$P" --filter 'ops/k0/fp32:time' --json | $PY -c "import json,sys; d=json.load(sys.stdin); assert d['series'][0]['runs']==26, d['series'][0]['runs']" && [ ! -e "$tmp/pgfail" ] && ok || bad "pg: concurrent writers lost runs $(cat "$tmp/pgfail" 2>/dev/null)"
# a newer schema
"$PGBIN/psql" -h "$pg" -U qb -d postgres -qc "UPDATE meta SET value = '99' WHERE key = 'schema_version'" >/dev/null
expect_exit 2 "pg: newer schema" -- history add "$tmp/late.json" --db "$P"
one_line "has schema version 99" && ok || bad "pg: newer schema message"
expect_exit 2 "pg: no server" -- history show --db "postgresql:host=$pg/nope user=qb"
one_line "cannot connect to PostgreSQL" && ok || bad "pg: no server message"

echo "cli_history_pg: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

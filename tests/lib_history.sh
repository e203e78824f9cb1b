# shellcheck shell=bash
# What the history tests share (sourced after lib_cli.sh): one_line,
# add_concurrently (the concurrent writers), pg_start (a throwaway
# PostgreSQL cluster) and history_runs (the synthetic
# results files in $tmp, made by one python start: runs/r1..r14.json (ops/k1
# steps up 15% at c8, ops/k2 drifts 1.2% a run, the rest flat), dup.json
# (refused half way), late.json, ro.json and w1-1..w4-3.json for the
# concurrent writers).
# The system interpreter when there is one: a version manager's shim costs
# most of a second per start, and these scripts start python a dozen times.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
GEN="$PY $2/history_gen.py"
export XDG_DATA_HOME=$tmp/data
one_line() { [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "$1" "$tmp/err"; }

# add_concurrently DB FAILS: 4 processes add w1-1..w4-3.json to DB at once,
# 3 runs each; an add that fails is noted in the file FAILS.
add_concurrently() {
    for w in 1 2 3 4; do
        (for j in 1 2 3; do
            "$QB" history add "$tmp/w$w-$j.json" --db "$1" >/dev/null || echo "writer $w run $j failed" >>"$2"
        done) &
    done
    wait
}

history_runs() {
    mkdir -p "$tmp/runs"
    for i in $(seq 1 14); do
        k1=1.0; [ "$i" -ge 8 ] && k1=1.15
        echo "$tmp/runs/r$i.json --commit c$i --branch main --started $(printf '2026-01-%02dT10:00:00Z' "$i") --seed $i --noise 0.005 --scale ops/k1/fp32=$k1 --scale ops/k2/fp32=$(awk "BEGIN { print 1 + 0.012 * $i }")"
    done >"$tmp/gen.txt"
    {
        echo "$tmp/dup.json --commit cx --started 2026-02-01T00:00:00Z --dup-metric"
        echo "$tmp/late.json --commit late --started 2026-04-01T00:00:00Z"
        echo "$tmp/ro.json --commit ro --started 2026-04-02T00:00:00Z"
        for w in 1 2 3 4; do
            for j in 1 2 3; do echo "$tmp/w$w-$j.json --commit w$w-$j --started 2026-05-0${w}T10:0$j:00Z --seed $((w * 10 + j))"; done
        done
    } >>"$tmp/gen.txt"
    $GEN --batch <"$tmp/gen.txt" || bad "generating the results files"
}

# pg_available: are the PostgreSQL binaries here and qbench built with libpq?
# When not, says why (a SKIP line) and fails; sets PGBIN.
pg_available() {
    PGBIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
        echo "SKIP: PostgreSQL tests (no /usr/lib/postgresql/*/bin/initdb: apt-get install postgresql)"
        return 1
    elif ! "$QB" history show --db "postgresql:host=/nonexistent" 2>&1 | grep -q "cannot connect"; then
        echo "SKIP: PostgreSQL tests (qbench was built without libpq)"
        return 1
    fi
}

# pg_start: initdb and start a cluster in a temporary folder (as nobody when
# run as root), listening on a Unix socket there only, stopped and removed on
# exit; sets pg (the folder) and P (the --db word). Exits 77 when
# pg_available fails.
pg_start() {
    pg_available || exit 77
    pg=$(mktemp -d /tmp/qbpg.XXXXXX)
    as_pg=()
    if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u nobody --); chown nobody "$pg"; fi
    trap '"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pg" "$tmp"' EXIT
    (cd "$pg" && "${as_pg[@]}" "$PGBIN/initdb" -D "$pg/data" -A trust -U qb --no-sync >"$pg/initdb.log" 2>&1) || { cat "$pg/initdb.log"; bad "initdb"; }
    (cd "$pg" && "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$pg/data" -l "$pg/log" -w \
        -o "-k $pg -c listen_addresses='' -c fsync=off -c max_connections=20" start >/dev/null) || { cat "$pg/log"; bad "pg_ctl start"; }
    # shellcheck disable=SC2034 # used by the scripts that source this one
    P="postgresql:host=$pg user=qb dbname=postgres"
}

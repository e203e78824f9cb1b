# The preamble every cli_*.sh test sources with its own arguments ($1: the
# qbench binary): a scratch folder removed on exit, with its own XDG cache,
# the pass / fail counters with ok and bad, and the two ways of running
# qbench and checking its status, expect and expect_exit.
set -u
QB=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# expect STATUS WORD ARGS...: run qbench ARGS; it must exit STATUS, and on
# exit 2 say one line on stderr that contains WORD.
expect() {
    local want=$1 word=$2
    shift 2
    "$QB" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "qbench $* exited $got, expected $want"; cat "$tmp/err"; return
    fi
    if [ "$want" -eq 2 ] && { [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$word" "$tmp/err"; }; then
        bad "qbench $*: expected one line naming '$word', got:"; cat "$tmp/err"; return
    fi
    ok
}

# expect_exit STATUS DESCRIPTION -- ARGS...: run qbench ARGS and check only its
# exit status; the caller checks $tmp/out and $tmp/err as it needs.
expect_exit() {
    local want=$1 what=$2
    shift 3
    "$QB" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, expected $want"; cat "$tmp/err"; fi
}

# The preamble every cli_*.sh test sources with its own arguments ($1: the
# qbench binary): a scratch folder removed on exit, with its own XDG cache,
# and the pass / fail counters with ok and bad.
set -u
QB=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

#!/usr/bin/env bash
# Times `samldoctor inspect` against jq on a synthetic HAR of SIZE MiB
# (default 1024) holding one sign-in among large base64 bodies, in one run,
# and prints wall time and peak RSS for each.
#   bench/run.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1024}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v jq >/dev/null || { echo "bench needs jq (apt-get install jq)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench needs GNU time (apt-get install time)" >&2; exit 1; }

go build -o "$dir/samldoctor" ./cmd/samldoctor
go run ./bench/genhar -size "$size" -o "$dir/big.har"
ls -l "$dir/big.har" | awk '{printf "file: %.0f MiB\n", $5/1048576}'
# Read the file once so both runs start from a warm page cache.
cat "$dir/big.har" > /dev/null

run() { # name, command...
	local name=$1; shift
	/usr/bin/time -f "%e %M" -o "$dir/time" "$@" > "$dir/$name.out"
	read -r secs kb < "$dir/time"
	printf "%-12s %8.2f s %10.1f MiB\n" "$name" "$secs" "$(echo "$kb/1024" | bc -l)"
	echo "$secs" > "$dir/$name.secs"
}
printf "%-12s %10s %14s\n" tool wall "peak RSS"
run samldoctor "$dir/samldoctor" inspect --format json "$dir/big.har"
run jq jq -r '.log.entries[] | select(.request.method == "POST" and (.request.url | test("signin[.]aws[.]amazon[.]com/saml"))) | .request.postData.text' "$dir/big.har"

# Both must have found the sign-in.
grep -q '"roleSessionName": "jane.doe@example.com"' "$dir/samldoctor.out" || { echo "samldoctor did not find the sign-in" >&2; exit 1; }
grep -q '^SAMLResponse=' "$dir/jq.out" || { echo "jq did not find the POST" >&2; exit 1; }
echo; echo "speed-up: $(echo "$(cat "$dir/jq.secs") / $(cat "$dir/samldoctor.secs")" | bc -l | xargs printf '%.1f')x"

#!/usr/bin/env bash
# Times `samldoctor audit` on 100,000 Connect users, 100,000 IdP users and
# 1,000,000 CloudTrail records (about 1.3 GB of JSON in 400 gzipped log
# files), against `zcat | jq` grouping the same failures, in one run; and
# gunzip alone, the floor of both. Prints the median wall time of RUNS runs
# (3) and peak RSS, and fails when the two count the failures differently.
#   bench/audit.sh [RECORDS] [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
users=${2:-100000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v jq >/dev/null || { echo "bench needs jq (apt-get install jq)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench needs GNU time (apt-get install time)" >&2; exit 1; }

go build -o "$dir/samldoctor" ./cmd/samldoctor
go run ./bench/genaudit -users "$users" -records "$records" -o "$dir/data"
files=$(find "$dir/data/trail" -name '*.json.gz' -path '*/CloudTrail/*' | sort)
echo "data: $(echo "$files" | wc -l) log files, $(du -sh "$dir/data/trail" | cut -f1) gzipped, $(echo "$files" | xargs zcat | wc -c | awk '{printf "%.0f MiB", $1/1048576}') of JSON; $users Connect and IdP users"
# Warm the page cache for every run alike.
cat $files "$dir/data/aws-data/list-users.json" "$dir/data/entra-users.csv" > /dev/null
runs=${RUNS:-3}

run() { # name, command...: the median of $runs runs' wall time, and its peak RSS
	local name=$1; shift
	: > "$dir/$name.runs"
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e %M" -o "$dir/time" "$@" > "$dir/$name.out" || true
		tail -n 1 "$dir/time" >> "$dir/$name.runs" # GNU time writes "Command exited ..." first for a non-zero exit
	done
	read -r secs kb < <(sort -n "$dir/$name.runs" | sed -n "$(( (runs + 1) / 2 ))p")
	printf "%-14s %8.2f s %10.1f MiB   (runs: %s)\n" "$name" "$secs" "$(echo "$kb/1024" | bc -l)" "$(cut -d' ' -f1 "$dir/$name.runs" | paste -sd' ')"
	echo "$secs" > "$dir/$name.secs"
}
printf "%-14s %10s %14s   (median of %d runs)\n" tool wall "peak RSS" "$runs"
run gunzip sh -c "echo '$files' | xargs zcat > /dev/null"
run samldoctor "$dir/samldoctor" audit --format json --since 30d --aws-data "$dir/data/aws-data" --idp-users "$dir/data/entra-users.csv" --trail "$dir/data/trail"
run jq sh -c "echo '$files' | xargs zcat | jq -c '.Records[] | select(.errorCode != null and (.eventName == \"AssumeRoleWithSAML\" or .eventName == \"GetFederationToken\")) | [.eventName, .errorCode, (.requestParameters.roleArn // .userIdentity.sessionContext.sessionIssuer.arn)]' | sort | uniq -c"

# Both must have found the same failures.
echo; echo "jq's groups:"; cat "$dir/jq.out"
jqTotal=$(awk '{n += $1} END {print n + 0}' "$dir/jq.out")
sdTotal=$(grep -o '"failedSignIns": [0-9]*' "$dir/samldoctor.out" | grep -o '[0-9]*$')
echo "failed sign-ins: jq $jqTotal, samldoctor $sdTotal; $(grep -c '"id": "connect.username_case_mismatch"' "$dir/samldoctor.out") case-mismatch finding"
[ "$jqTotal" -gt 0 ] && [ "$jqTotal" = "$sdTotal" ] || { echo "samldoctor and jq disagree on the failures" >&2; exit 1; }
echo; echo "speed-up over jq: $(echo "$(cat "$dir/jq.secs") / $(cat "$dir/samldoctor.secs")" | bc -l | xargs printf '%.1f')x"

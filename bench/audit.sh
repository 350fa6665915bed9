#!/usr/bin/env bash
# Times `samldoctor audit` on 100,000 Connect users, 100,000 IdP users and
# 1,000,000 CloudTrail records (about 1.3 GB of JSON in FILES gzipped log
# files, 400 by default), in one run beside: two parallel gunzip streams
# over the same files (the floor on a 2-core machine: each core inflating
# half the files), gunzip alone on one core, and `zcat | jq` grouping the
# same failures. Prints, of RUNS runs (5), the median wall time, the spread
# (min-max) and peak RSS, samldoctor's ratio to the floor and jq's to
# samldoctor; fails when samldoctor and jq count the failures differently.
#   bench/audit.sh [RECORDS] [USERS] [FILES]
#   bench/audit.sh 1000000 100000 1000    # the 1,000-file case
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
users=${2:-100000}
nfiles=${3:-400}
[ "$nfiles" -ge 1 ] || { echo "FILES must be at least 1" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v jq >/dev/null || { echo "bench needs jq (apt-get install jq)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench needs GNU time (apt-get install time)" >&2; exit 1; }

go build -o "$dir/samldoctor" ./cmd/samldoctor
go run ./bench/genaudit -users "$users" -records "$records" -per-file $(( (records + nfiles - 1) / nfiles )) -o "$dir/data"
files=$(find "$dir/data/trail" -name '*.json.gz' -path '*/CloudTrail/*' | sort)
echo "data: $(echo "$files" | wc -l) log files, $(du -sh "$dir/data/trail" | cut -f1) gzipped, $(echo "$files" | xargs zcat | wc -c | awk '{printf "%.0f MiB", $1/1048576}') of JSON; $users Connect and IdP users"
# Warm the page cache for every run alike.
cat $files "$dir/data/aws-data/list-users.json" "$dir/data/entra-users.csv" > /dev/null
runs=${RUNS:-5}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (timings are only comparable on a quiet machine)"
# The floor: the files split in two halves, each inflated by its own zcat.
echo "$files" > "$dir/files" # the list, read by xargs (1,000 paths are too long for a command line)
echo "$files" | awk 'NR % 2 == 1' > "$dir/half1"
echo "$files" | awk 'NR % 2 == 0' > "$dir/half2"

run() { # name, command...: the median, min and max of $runs runs' wall time, and the median's peak RSS
	local name=$1; shift
	: > "$dir/$name.runs"
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e %M" -o "$dir/time" "$@" > "$dir/$name.out" || true
		tail -n 1 "$dir/time" >> "$dir/$name.runs" # GNU time writes "Command exited ..." first for a non-zero exit
	done
	read -r secs kb < <(sort -n "$dir/$name.runs" | sed -n "$(( (runs + 1) / 2 ))p")
	lo=$(sort -n "$dir/$name.runs" | head -n 1 | cut -d' ' -f1)
	hi=$(sort -n "$dir/$name.runs" | tail -n 1 | cut -d' ' -f1)
	printf "%-16s %8.2f s  %5.2f-%-5.2f s %10.1f MiB   (runs: %s)\n" "$name" "$secs" "$lo" "$hi" "$(echo "$kb/1024" | bc -l)" "$(cut -d' ' -f1 "$dir/$name.runs" | paste -sd' ')"
	echo "$secs" > "$dir/$name.secs"
}
ratio() { echo "$(cat "$dir/$1.secs") / $(cat "$dir/$2.secs")" | bc -l | xargs printf '%.2f'; }
printf "%-16s %10s  %-13s %10s   (median, spread of %d runs)\n" tool wall spread "peak RSS" "$runs"
run gunzip-2-streams sh -c "xargs zcat < '$dir/half1' > /dev/null & xargs zcat < '$dir/half2' > /dev/null; wait"
run gunzip-1-core sh -c "xargs zcat < '$dir/files' > /dev/null"
run samldoctor "$dir/samldoctor" audit --format json --since 30d --aws-data "$dir/data/aws-data" --idp-users "$dir/data/entra-users.csv" --trail "$dir/data/trail"
run jq sh -c "xargs zcat < '$dir/files' | jq -c '.Records[] | select(.errorCode != null and (.eventName == \"AssumeRoleWithSAML\" or .eventName == \"GetFederationToken\")) | [.eventName, .errorCode, (.requestParameters.roleArn // .userIdentity.sessionContext.sessionIssuer.arn)]' | sort | uniq -c"

# Both must have found the same failures.
echo; echo "jq's groups:"; cat "$dir/jq.out"
jqTotal=$(awk '{n += $1} END {print n + 0}' "$dir/jq.out")
sdTotal=$(grep -o '"failedSignIns": [0-9]*' "$dir/samldoctor.out" | grep -o '[0-9]*$')
echo "failed sign-ins: jq $jqTotal, samldoctor $sdTotal; $(grep -c '"id": "connect.username_case_mismatch"' "$dir/samldoctor.out") case-mismatch finding"
[ "$jqTotal" -gt 0 ] && [ "$jqTotal" = "$sdTotal" ] || { echo "samldoctor and jq disagree on the failures" >&2; exit 1; }
echo
echo "samldoctor / two-stream gunzip floor: $(ratio samldoctor gunzip-2-streams)x (target: within 1.1x)"
echo "jq / samldoctor: $(ratio jq samldoctor)x"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Times samldoctor on hostile input: a 10 GiB DEFLATE bomb and a
# billion-laughs document, through decode and inspect. Each must end in a
# clear error (exit 2) within a second and under 100 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/samldoctor" ./cmd/samldoctor
go run ./bench/genbomb -gib 10 -dir "$dir"
printf "%-34s %6s %8s %10s  %s\n" input exit wall "peak RSS" message
for cmd in decode inspect; do
	for f in deflate-bomb.b64 billion-laughs.xml; do
		set +e
		/usr/bin/time -f "%e %M" -o "$dir/time" "$dir/samldoctor" $cmd "$dir/$f" > /dev/null 2> "$dir/err"
		rc=$?
		set -e
		read -r secs kb < <(tail -n 1 "$dir/time")
		printf "%-34s %6s %7.2fs %7.1f MiB  %s\n" "$cmd $f" "$rc" "$secs" "$(echo "$kb/1024" | bc -l)" "$(head -c 90 "$dir/err" | sed "s#$dir/##")"
		[ "$rc" = 2 ] || { echo "expected exit 2" >&2; exit 1; }
	done
done

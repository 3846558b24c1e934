#!/usr/bin/env bash
# bench.sh - every performance figure the README quotes, measured in one run:
#   1. `cdk synth` wall time (median of 3, through the pinned CLI) and the CloudFormation
#      resource count for 2, 25 and the largest allowed number of tenants;
#   2. the size of the tenant handler's bootstrap (linux/arm64, as deployed);
#   3. the local ALB: requests/s and p50/p99 latency invoking a tenant's runtime
#      emulator directly vs through the local ALB with a valid token (keep-alive);
#   4. the jwt-validation check alone;
#   5. local mode: time from the command to "ready" (warm machine).
# Usage: scripts/bench.sh   (or: make bench)
set -euo pipefail
cd "$(dirname "$0")/.."

cdk=tools/node/node_modules/.bin/cdk
[[ -x $cdk ]] || { echo "run 'make deps' first (npm ci --prefix tools/node)" >&2; exit 2; }
tmp="$(mktemp -d)"
local_pid=""
cleanup() {
	if [[ -n $local_pid ]]; then kill -INT "$local_pid" 2>/dev/null || true; wait "$local_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cert="arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"
export CDK_DISABLE_CLI_TELEMETRY=true

tenants_file() { # tenants_file N PATH
	local n=$1 path=$2 i
	{
		printf '{"tenants":['
		for ((i = 1; i <= n; i++)); do
			((i > 1)) && printf ','
			printf '{"id":"tenant-%03d","priority":%d}' "$i" "$((i * 10))"
		done
		printf ']}\n'
	} >"$path"
}

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

echo "== 1. cdk synth (pinned CLI, median of 3 runs after one warm-up) and resource count"
# The largest allowed count is whatever the app's own validation says for 1000 tenants.
tenants_file 1000 "$tmp/tenants-1000.json"
max_tenants="$("$cdk" synth --quiet --no-notices -c "tenantsFile=$tmp/tenants-1000.json" -c "certificateArn=$cert" -o "$tmp/cdk.out-1000" 2>&1 |
	sed -n 's/.*the maximum is \([0-9][0-9]*\).*/\1/p' | head -n 1 || true)"
[[ -n $max_tenants ]] || { echo "could not read the tenant maximum from the app's validation" >&2; exit 1; }
printf '%-10s %-12s %-10s\n' tenants synth_s resources
base_time=""
for n in 2 25 "$max_tenants"; do
	tenants_file "$n" "$tmp/tenants-$n.json"
	out="$tmp/cdk.out-$n"
	times=()
	for run in 0 1 2 3; do
		start="$(now)"
		"$cdk" synth --quiet --no-notices -c "tenantsFile=$tmp/tenants-$n.json" -c "certificateArn=$cert" -o "$out" >/dev/null 2>"$tmp/synth.err" ||
			{ cat "$tmp/synth.err"; exit 1; }
		end="$(now)"
		((run == 0)) && continue # warm-up: go build cache, node module cache
		times+=("$(calc "$end - $start")")
	done
	median="$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)"
	resources="$(node -e 'console.log(Object.keys(require(process.argv[1]).Resources).length)' "$out/TenantRouting.template.json")"
	printf '%-10s %-12.2f %-10s\n' "$n" "$median" "$resources"
	[[ -z $base_time ]] && base_time=$median
	last_time=$median
done
printf 'ratio max/2 tenants: %.2fx (target <= 2x)\n' "$(calc "$last_time / $base_time")"
echo "in-process synthesis (no CLI start-up; stack + cdk-nag + synth per iteration):"
go test -run '^$' -bench 'BenchmarkSynth' -benchtime 5x ./stacks/ | grep -E '^BenchmarkSynth/'

echo
echo "== 2. tenant handler bootstrap (linux/arm64, CGO off, -tags lambda.norpc, stripped)"
GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags='-s -w -buildid=' -o "$tmp/bootstrap" ./lambda
size="$(stat -c %s "$tmp/bootstrap")"
printf 'bootstrap: %d bytes (%.2f MB; target < 8 MB)\n' "$size" "$(calc "$size / 1000000")"

echo
echo "== 3. local ALB overhead: direct RIE invoke vs through the local ALB (HTTPS keep-alive, valid token),"
echo "      side by side in each run; 5 runs of 3000 sequential requests, median overhead last"
go test -c -o "$tmp/localalb.test" ./internal/localalb/
overheads=()
for run in 1 2 3 4 5; do
	out="$(cd internal/localalb && "$tmp/localalb.test" -test.run '^$' -test.bench 'BenchmarkDirectRIE|BenchmarkThroughALB|BenchmarkALBHandler' -test.benchtime 3000x -test.benchmem)"
	grep -E '^Benchmark' <<<"$out" | sed "s/^/run $run: /"
	overheads+=("$(sed -n 's/.*[[:space:]]\([0-9.][0-9.]*\) overhead-p50-µs.*/\1/p' <<<"$out")")
done
printf 'median p50 overhead of the local ALB: %s µs (target < 300 µs); runs: %s\n' \
	"$(printf '%s\n' "${overheads[@]}" | sort -n | sed -n 3p)" "${overheads[*]}"

echo
echo "== 4. jwt-validation check alone (a repeated token: cached signature; a forged one: full RS256 verify)"
go test -run '^$' -bench 'BenchmarkCheckValid$|BenchmarkCheckRejectBadSignature$' -benchtime 2000x ./internal/localalb/jwtvalidate/ | grep -E '^Benchmark'

echo
echo "== 5. local mode: command to ready (warm machine: second start)"
go build -o "$tmp/local" ./cmd/local
for attempt in warm-up measured; do
	work="$tmp/local-$attempt"
	start="$(now)"
	"$tmp/local" --work-dir "$work" --https-port 18443 --http-port 18080 --cognito-port 19229 >"$tmp/local.log" 2>&1 &
	local_pid=$!
	until [[ -f $work/state.json ]]; do
		kill -0 "$local_pid" 2>/dev/null || { cat "$tmp/local.log"; exit 1; }
		sleep 0.05
	done
	end="$(now)"
	kill -INT "$local_pid"
	wait "$local_pid" || true
	local_pid=""
	if [[ $attempt == measured ]]; then
		printf 'ready in %.2f s (target < 15 s)\n' "$(calc "$end - $start")"
	fi
done

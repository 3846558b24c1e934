#!/usr/bin/env bash
# bench.sh - every performance figure the README quotes, measured in one run
# (make bench runs it and saves its output in docs/bench-output.txt):
#   a. `cdk synth` through the pinned CLI, exactly as a user runs it, for 2, 100
#      and 1,000 tenants (placed in cells by scripts/tenants: 1, 2 and 11 cells):
#      wall time, CPU time and peak memory of the whole process tree (CLI, the Go
#      app, its jsii Node kernel), templates and resources, the per-tenant cost
#      and the 1000/100 ratio;
#   b. the local ALB: sequential keep-alive requests per second through the
#      local ALB vs invoking the same runtime emulator directly (a ratio, in the
#      same run), BenchmarkALBHandler (the ALB's own work per request), and the
#      jwt-validation check alone;
#   c. the tenant handler's bootstrap as deployed (.build/lambda/bootstrap);
#   d. local mode with 1,000 tenants (cmd/local): command to ready from the
#      assembly synthesized in (a) and with its own `cdk synth`, the memory of
#      everything it started when idle, the first request to a cold tenant, a
#      warm request's latency next to the same figure for the 2-tenant app.
# Needs: make deps (the pinned CDK CLI), /usr/bin/time (GNU time), ps, curl.
# BENCH_SKIP_LOCAL=1 leaves part (d) out.
set -euo pipefail
cd "$(dirname "$0")/.."

cdk=tools/node/node_modules/.bin/cdk
[[ -x $cdk ]] || { echo "run 'make deps' first (npm ci --prefix tools/node)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench.sh needs curl" >&2; exit 2; }

tmp="$(mktemp -d)"
local_pid=""
cleanup() {
	if [[ -n $local_pid ]]; then kill -INT "$local_pid" 2>/dev/null || true; wait "$local_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cert="arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000" # contract.PlaceholderCertificateARN
export CDK_DISABLE_CLI_TELEMETRY=true

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# tree_rss PID: resident memory (KB) of PID and every descendant, summed.
tree_rss() {
	ps -e -o pid=,ppid=,rss= | awk -v root="$1" '
		{ parent[$1] = $2; rss[$1] = $3 }
		END {
			sum = 0
			for (p in parent) {
				for (x = p; x != "" && x != 0; x = parent[x]) if (x == root) { sum += rss[p]; break }
			}
			print sum
		}'
}

# tree_pids PID: PID and every descendant, one per line.
tree_pids() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) for (x = p; x != "" && x != 0; x = parent[x]) if (x == root) { print p; break } }'
}
tree_count() { tree_pids "$1" | wc -l; }

# measure CMD...: runs CMD under GNU time while sampling the resident memory
# of its whole process tree every 200 ms. Sets m_wall, m_cpu (user+system of
# the tree, s) and m_peak_mb. Returns CMD's status.
measure() {
	/usr/bin/time -f '%e %U %S' -o "$tmp/time.out" "$@" &
	local pid=$! peak=0 rss status=0
	while kill -0 "$pid" 2>/dev/null; do
		rss="$(tree_rss "$pid")"
		((rss > peak)) && peak=$rss
		sleep 0.2
	done
	wait "$pid" || status=$?
	read -r m_wall user sys < <(tail -n 1 "$tmp/time.out")
	m_cpu="$(calc "$user + $sys" 1)"
	m_peak_mb="$(calc "$peak / 1024" 0)"
	return "$status"
}

# tenants_file N PATH: N tenants placed by the placement tool (cells of 99).
tenants_file() {
	local n=$1 path=$2
	local ids
	printf '{"tenants":[{"id":"tenant-0001","priority":10}]}\n' >"$path"
	if ((n > 1)); then
		mapfile -t ids < <(seq -f 'tenant-%04g' 2 "$n")
		go run ./scripts/tenants add --file "$path" "${ids[@]}" >/dev/null
	fi
}

# assembly_counts DIR: "<stacks> <nested templates> <resources>" of a cloud assembly.
assembly_counts() {
	node -e '
		const fs = require("fs"), path = require("path"), dir = process.argv[1];
		let stacks = 0, nested = 0, resources = 0;
		for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".template.json"))) {
			f.endsWith(".nested.template.json") ? nested++ : stacks++;
			resources += Object.keys(JSON.parse(fs.readFileSync(path.join(dir, f))).Resources || {}).length;
		}
		console.log(stacks, nested, resources);' "$1"
}

echo "scripts/bench.sh (make bench) $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':!docs/bench-output.txt' 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo); load average at start: $(load)"
echo "go: $(go env GOVERSION), node: $(node --version), cdk CLI: $("$cdk" --version 2>/dev/null | cut -d' ' -f1)"

echo
echo "== a. cdk synth through the pinned CLI ($cdk synth --quiet -c tenantsFile=FILE -c certificateArn=<placeholder> -o DIR)"
echo "      one run each after a 2-tenant warm-up (go build cache); CPU and memory are the whole process tree's"
declare -A wall cpu peak cells counts
for n in 2 100 1000; do
	tenants_file "$n" "$tmp/tenants-$n.json"
	cells[$n]="$(go run ./scripts/tenants list --file "$tmp/tenants-$n.json" | awk '/^CELL/ { on = 1; next } on && NF { c++ } END { print c + 0 }')"
done
"$cdk" synth --quiet --no-notices -c "tenantsFile=$tmp/tenants-2.json" -c "certificateArn=$cert" -o "$tmp/warm-up" >/dev/null 2>"$tmp/synth.err" ||
	{ cat "$tmp/synth.err"; exit 1; }
rm -rf "$tmp/warm-up"
for n in 2 100 1000; do
	printf '  synthesizing %d tenants (load %s) ...\n' "$n" "$(load)"
	measure "$cdk" synth --quiet --no-notices -c "tenantsFile=$tmp/tenants-$n.json" -c "certificateArn=$cert" -o "$tmp/cdk.out-$n" \
		>/dev/null 2>"$tmp/synth.err" || { cat "$tmp/synth.err"; exit 1; }
	wall[$n]=$m_wall cpu[$n]=$m_cpu peak[$n]=$m_peak_mb
	counts[$n]="$(assembly_counts "$tmp/cdk.out-$n")"
done
printf '  %-8s %-6s %-7s %-7s %-10s %-10s %-8s %-9s %-10s %-12s\n' \
	tenants cells stacks nested resources wall_s cpu_s peak_MB ms/tenant marginal_ms
for n in 2 100 1000; do
	read -r stacks nested resources <<<"${counts[$n]}"
	marginal="-"
	((n > 2)) && marginal="$(calc "(${wall[$n]} - ${wall[2]}) * 1000 / ($n - 2)" 1)"
	printf '  %-8s %-6s %-7s %-7s %-10s %-10s %-8s %-9s %-10s %-12s\n' "$n" "${cells[$n]}" "$stacks" "$nested" "$resources" \
		"${wall[$n]}" "${cpu[$n]}" "${peak[$n]}" "$(calc "${wall[$n]} * 1000 / $n" 1)" "$marginal"
done
printf '  1000 tenants: %s s wall (target <= 60 s), peak %s MB (target <= 2048 MB)\n' "${wall[1000]}" "${peak[1000]}"
printf '  ratio 1000/100 tenants: wall %sx (target <= 12x), cpu %sx; 100/2: wall %sx\n' \
	"$(calc "${wall[1000]} / ${wall[100]}")" "$(calc "${cpu[1000]} / ${cpu[100]}")" "$(calc "${wall[100]} / ${wall[2]}")"
echo "  (ms/tenant = wall / tenants; marginal = (wall - wall of 2 tenants) / (tenants - 2))"

echo
echo "== b. local ALB: sequential keep-alive requests/s through the local ALB vs the same runtime emulator invoked directly"
echo "      (internal/localalb BenchmarkDirectRIE and BenchmarkThroughALB side by side in each run, 5 runs of 2000 requests)"
go test -c -o "$tmp/localalb.test" ./internal/localalb/
ratios=() handler_ns=() handler_b=() handler_allocs=()
field() { awk -v unit="$1" '{ for (i = 2; i <= NF; i++) if ($i == unit) print $(i - 1) }'; }
for run in 1 2 3 4 5; do
	out="$(cd internal/localalb && "$tmp/localalb.test" -test.run '^$' -test.bench '^(BenchmarkDirectRIE|BenchmarkThroughALB|BenchmarkALBHandler)$' \
		-test.benchtime 2000x -test.benchmem)"
	grep -E '^Benchmark' <<<"$out" | sed "s/^/  run $run: /"
	direct="$(grep '^BenchmarkDirectRIE' <<<"$out" | field req/s)"
	alb="$(grep '^BenchmarkThroughALB' <<<"$out" | field req/s)"
	ratios+=("$(calc "$alb / $direct" 3)")
	handler_ns+=("$(grep '^BenchmarkALBHandler' <<<"$out" | field ns/op)")
	handler_b+=("$(grep '^BenchmarkALBHandler' <<<"$out" | field B/op)")
	handler_allocs+=("$(grep '^BenchmarkALBHandler' <<<"$out" | field allocs/op)")
done
printf '  through the ALB / direct, requests per second: median %s (target >= 0.6); runs: %s\n' \
	"$(printf '%s\n' "${ratios[@]}" | median)" "${ratios[*]}"
printf '  BenchmarkALBHandler: median %s ns/op = %s µs (target < 50 µs), %s B/op, %s allocs/op; runs (ns/op): %s\n' \
	"$(printf '%s\n' "${handler_ns[@]}" | median)" "$(calc "$(printf '%s\n' "${handler_ns[@]}" | median) / 1000" 1)" \
	"$(printf '%s\n' "${handler_b[@]}" | median)" "$(printf '%s\n' "${handler_allocs[@]}" | median)" "${handler_ns[*]}"
echo "  jwt-validation check alone (a repeated token: cached signature; a forged one: full RS256 verify):"
go test -run '^$' -bench '^(BenchmarkCheckValid|BenchmarkCheckRejectBadSignature)$' -benchtime 2000x -benchmem ./internal/localalb/jwtvalidate/ |
	grep -E '^Benchmark' | sed 's/^/  /'

echo
echo "== c. tenant handler bootstrap as deployed (.build/lambda/bootstrap, built by the app: linux/arm64, internal/gobuild flags)"
size="$(stat -c %s .build/lambda/bootstrap)"
printf '  bootstrap: %d bytes (%s MB; target < 8 MB)\n' "$size" "$(calc "$size / 1000000")"

echo
echo "== d. local mode with 1,000 tenants (cmd/local, --demo-users 22)"
if [[ -n ${BENCH_SKIP_LOCAL-} ]]; then
	echo "  skipped (BENCH_SKIP_LOCAL is set)"
	exit 0
fi
go build -o "$tmp/local" ./cmd/local
if ! help="$("$tmp/local" --help 2>&1)" || ! grep -q -- '-assembly' <<<"$help" || ! grep -q -- '-demo-users' <<<"$help"; then
	echo "  skipped: this cmd/local has no --assembly/--demo-users flags (local mode with cells is not on this branch yet)"
	exit 0
fi
# Below the kernel's ephemeral range (32768-60999), where a client socket of
# another program could hold one of the 11 cells' ports.
https_port=21443 http_port=21080 cognito_port=21229
# start_local NAME ARGS...: starts cmd/local with its own work dir and waits
# for <work-dir>/state.json (written once everything is ready). Sets
# local_pid, work and ready_s.
start_local() {
	local name=$1 start
	shift
	work="$tmp/local-$name"
	start="$(now)"
	"$tmp/local" --work-dir "$work" --https-port "$https_port" --http-port "$http_port" --cognito-port "$cognito_port" "$@" \
		>"$tmp/local-$name.log" 2>&1 &
	local_pid=$!
	until [[ -f $work/state.json ]]; do
		kill -0 "$local_pid" 2>/dev/null || { echo "  local mode ($name) exited before ready:"; tail -n 30 "$tmp/local-$name.log"; exit 1; }
		sleep 0.05
	done
	ready_s="$(calc "$(now) - $start")"
}
# stop_local: Ctrl-C, then check that nothing it started is left.
stop_local() {
	local pid=$local_pid left=0 p
	local -a started
	mapfile -t started < <(tree_pids "$pid")
	kill -INT "$pid"
	wait "$pid" || true
	local_pid=""
	for p in "${started[@]}"; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
	((left == 0)) || echo "  WARNING: $left processes of local mode still running after Ctrl-C"
}
state() { node -e 'console.log(require(process.argv[1])[process.argv[2]])' "$work/state.json" "$1"; }
# token TENANT: an access token of TENANT's demo user, from get-token.
token() {
	env AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="$(state cognitoUrl)" AWS_REGION="$(state region)" \
		AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
		"$(state binDir)/get-token" --client-id "$(state clientId)" --username "$(awk -F, -v t="$1" '$3 == t { print $1; exit }' "$(state usersFile)")" \
		--passwords-file "$(state passwordsFile)"
}
# tenant_url TENANT: TENANT's base URL from the tenant directory.
tenant_url() { awk -F'\t' -v t="$1" '$1 == t { sub(/\/$/, "", $3); print $3 "/" t; exit }' "$work/directory.tsv"; }
# request_times TENANT TOKEN N: time_total (ms) of N sequential requests on one
# keep-alive connection (one curl), one per line; fails unless all are 200.
request_times() {
	local url args=() i
	url="$(tenant_url "$1")/orders/7?x=1"
	for ((i = 0; i < $3; i++)); do args+=(-o /dev/null "$url"); done
	curl -sS --cacert "$(state caCert)" -H "Authorization: Bearer $2" -w '%{http_code} %{time_total}\n' "${args[@]}" |
		awk '$1 != 200 { print "status " $1 > "/dev/stderr"; exit 1 } { printf "%.2f\n", $2 * 1000 }'
}
# warm_figures TENANT: cold first request, then the median and p90 of 50 warm
# requests (keep-alive). Sets cold_ms, warm_p50 and warm_p90.
warm_figures() {
	local tok times
	tok="$(token "$1")"
	cold_ms="$(request_times "$1" "$tok" 1)"
	times="$(request_times "$1" "$tok" 51 | tail -n 50 | sort -g)" # the first one pays the TLS handshake
	warm_p50="$(median <<<"$times")"
	warm_p90="$(sed -n 45p <<<"$times")"
}

echo "  reference: the 2-tenant app of (a), served from its assembly"
start_local ref --assembly "$tmp/cdk.out-2"
warm_figures tenant-0001
ref_p50=$warm_p50 ref_p90=$warm_p90
printf '    ready in %s s; tenant-0001 cold %s ms, warm p50 %s ms, p90 %s ms (curl time_total, keep-alive)\n' "$ready_s" "$cold_ms" "$warm_p50" "$warm_p90"
stop_local

echo "  1,000 tenants, served from the assembly synthesized in (a) (no cdk synth):"
start_local presynth --assembly "$tmp/cdk.out-1000" --demo-users 22
printf '    ready in %s s (target <= 60 s)\n' "$ready_s"
sleep 2
printf '    idle: %s processes, %s MB resident in total (target <= 2048 MB)\n' "$(tree_count "$local_pid")" "$(calc "$(tree_rss "$local_pid") / 1024" 0)"
# Cold tenants: one demo user's tenant in each of three cells (the second, the
# middle and the last cell that has a demo user).
mapfile -t sample < <(awk -F'\t' 'NR == FNR { cell[$1] = $2; next } FNR > 1 { split($0, f, ","); t = f[3]; if (!(cell[t] in seen)) { seen[cell[t]] = 1; print t } }' \
	"$work/directory.tsv" "$(state usersFile)" | awk '{ t[NR] = $0 } END { m = int((NR + 1) / 2); print t[2 <= NR ? 2 : 1]; if (m != 2 && m != NR) print t[m]; if (NR > 2) print t[NR] }')
colds=()
for t in "${sample[@]}"; do
	tok="$(token "$t")"
	colds+=("$(request_times "$t" "$tok" 1)")
done
printf '    first request to a cold tenant (TLS handshake + runtime start + request): %s ms (%s; target <= 1000 ms)\n' \
	"$(printf '%s\n' "${colds[@]}" | sort -g | tail -n 1)" "$(paste -d= <(printf '%s\n' "${sample[@]}") <(printf '%s\n' "${colds[@]}") | tr '\n' ' ' | sed 's/ $//')"
warm_figures "${sample[0]}"
printf '    warm request to %s: p50 %s ms, p90 %s ms; 2-tenant reference p50 %s ms, p90 %s ms (ratio p50 %s)\n' \
	"${sample[0]}" "$warm_p50" "$warm_p90" "$ref_p50" "$ref_p90" "$(calc "$warm_p50 / $ref_p50")"
printf '    after these requests (3 warm runtimes): %s processes, %s MB resident in total\n' "$(tree_count "$local_pid")" "$(calc "$(tree_rss "$local_pid") / 1024" 0)"
stop_local

echo "  1,000 tenants, with its own cdk synth (go build of the app cached; --context tenantsFile=FILE):"
start_local synth --context "tenantsFile=$tmp/tenants-1000.json" --demo-users 22
printf '    ready in %s s (target <= 60 s)\n' "$ready_s"
stop_local
echo
echo "load average at the end: $(load)"

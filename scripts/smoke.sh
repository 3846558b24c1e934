#!/usr/bin/env bash
# smoke.sh - curl smoke matrix for the tenant-routing ALBs (on AWS or local mode),
# across every cell of a deployment.
#
# Where the tenants are: --directory FILE (the tenant directory as TSV, one
# line per tenant: tenant, cell, cell base URL, cell HTTP URL; written by
# `stack-outputs --directory --format tsv` and by local mode), or --stack NAME
# (the same directory read from the stacks by stack-outputs), or --base-url for
# a single cell holding every tenant of the users file.
#
# Who signs in: the first user per tenant of the users file, read by
# `seed-users --list-tenant-users`, so the users file has ONE parser (BOM, CRLF,
# spaces and validation exactly as seed-users). --sample N tests at most N
# tenants that have a user, every cell represented, chosen deterministically
# (round robin over the cells in directory order); --plan prints the choice
# and exits. For each tested tenant it signs the user in with get-token and
# checks:
#   own-tenant          the tenant's access token on its own prefix -> 200, JSON tenantId = tenant
#   cross-tenant        a tenant's token on every other tested tenant of the same cell -> 401
#   cross-cell          ... and on every tested tenant of another cell (that cell's ALB) -> 401
#   wrong-cell          a tenant's token on its own prefix at another cell's ALB -> 404 (no rule)
# once per tested cell (with the cell's first tested tenant):
#   no-token            no Authorization header -> 401, and the body is not the Lambda's
#   garbage-token       "Bearer not-a-jwt" -> 401
#   rewrite             /A/orders/7?x=1 -> 200, the Lambda sees path /orders/7 and query x=1
#   bare-prefix         /A (no trailing slash) -> 200, path /
#   unknown-path        /, /<random>/x -> 404 (listener default action)
#   http-redirect       http://.../A/x?q=1 -> 301, Location https://<host>[:port]/A/x?q=1
# and once:
#   id-token            an ID token instead of the access token -> 401
#   tampered-payload    tenant B's payload spliced into A's header+signature, sent to B -> 401
# With more than one cell the per-cell case names end in @cell-<cell>.
#
# Output: one line per case "PASS|FAIL <case> expected=<x> got=<y>", then
# "N passed, M failed". Exit 0 only when everything passed (1 on failures,
# 2 on usage errors). Tokens and passwords are never printed and never put on
# a command line (curl reads the Authorization header from stdin via --config -).
# JSON is read with sed (no jq dependency): the handler returns compact JSON
# with tenantId, path, query, method, requestId.
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: smoke.sh --users FILE (--directory FILE | --stack NAME | --base-url https://HOST) [options]

  --directory FILE      tenant directory TSV: tenant<TAB>cell<TAB>https://base<TAB>http://base
  --stack NAME          read the directory from the stacks (stack-outputs --directory),
                        and the client id, unless --client-id
  --base-url URL        one cell: HTTPS base URL of its ALB (e.g. https://127.0.0.1:8443)
  --http-url URL        with --base-url: HTTP URL for the redirect check (default: the
                        base URL with http://, same host and port)
  --users FILE          users CSV (username,email,tenant); first user per tenant is used
  --sample N            test at most N tenants, every cell represented (deterministic)
  --plan                print the tenants that would be tested (tenant, cell, user, URL), exit
  --passwords-file FILE passwords JSON (0600) for get-token (default: get-token reads
                        COGNITO_PASSWORD)
  --client-id ID        Cognito app client id (default: from --stack)
  --endpoint URL        Cognito endpoint for get-token (cognito-local)
  --region R, --profile P   passed to get-token and stack-outputs
  --cacert FILE         trust this CA/self-signed certificate
  -k, --insecure        accept any certificate (only when asked)
  --bin-dir DIR         directory with prebuilt get-token, seed-users and stack-outputs
                        binaries (default: go build them into a temporary directory)
  --max-time SECONDS    per-request timeout (default 10)
  -h, --help            this help
USAGE
}

die() {
	printf 'smoke.sh: %s\n' "$*" >&2
	exit 2
}

# select_sample N: reads "tenant<TAB>cell" lines (candidates in directory
# order) on stdin and prints the chosen tenants, one per line, in input
# order: round robin over the cells in order of first appearance (the first
# candidate of every cell, then the second of every cell, ...) until N are
# chosen. N below the number of cells is raised to it (every cell is tested).
select_sample() {
	local n=$1 t c i round
	local -a order=() cand=()
	local -A per_cell=() rank=() chosen=()
	while IFS=$'\t' read -r t c; do
		[[ -n $t ]] || continue
		if [[ -z ${per_cell[$c]+x} ]]; then
			order+=("$c")
			per_cell[$c]=0
		fi
		rank[$t]=${per_cell[$c]}
		per_cell[$c]=$((${per_cell[$c]} + 1))
		cand+=("$t"$'\t'"$c")
	done
	[[ $n -ge ${#order[@]} ]] || n=${#order[@]}
	local taken=0 more=1
	for ((round = 0; taken < n && more; round++)); do
		more=0
		for i in "${cand[@]+"${cand[@]}"}"; do
			t=${i%%$'\t'*}
			if [[ ${rank[$t]} -eq $round ]]; then
				more=1
				if [[ $taken -lt $n ]]; then
					chosen[$t]=1
					taken=$((taken + 1))
				fi
			fi
		done
	done
	for i in "${cand[@]+"${cand[@]}"}"; do
		t=${i%%$'\t'*}
		[[ -z ${chosen[$t]+x} ]] || printf '%s\n' "$t"
	done
}

base_url=""
http_url=""
stack=""
directory=""
users_file=""
passwords_file=""
client_id=""
endpoint=""
region=""
profile=""
cacert=""
insecure=0
bin_dir=""
max_time=10
sample=""
plan=0

need_value() {
	[[ $# -ge 2 && -n $2 && $2 != --* ]] || die "$1 needs a value"
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--base-url) need_value "$@"; base_url=$2; shift 2 ;;
	--stack) need_value "$@"; stack=$2; shift 2 ;;
	--directory) need_value "$@"; directory=$2; shift 2 ;;
	--http-url) need_value "$@"; http_url=$2; shift 2 ;;
	--users) need_value "$@"; users_file=$2; shift 2 ;;
	--sample) need_value "$@"; sample=$2; shift 2 ;;
	--plan) plan=1; shift ;;
	--passwords-file) need_value "$@"; passwords_file=$2; shift 2 ;;
	--client-id) need_value "$@"; client_id=$2; shift 2 ;;
	--endpoint) need_value "$@"; endpoint=$2; shift 2 ;;
	--region) need_value "$@"; region=$2; shift 2 ;;
	--profile) need_value "$@"; profile=$2; shift 2 ;;
	--cacert) need_value "$@"; cacert=$2; shift 2 ;;
	-k | --insecure) insecure=1; shift ;;
	--bin-dir) need_value "$@"; bin_dir=$2; shift 2 ;;
	--max-time) need_value "$@"; max_time=$2; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

[[ -n $users_file ]] || die "--users is required"
[[ -r $users_file ]] || die "cannot read users file $users_file"
[[ -n $base_url || -n $stack || -n $directory ]] || die "pass --directory, --stack or --base-url"
[[ -z $directory || -z $base_url ]] || die "use either --directory or --base-url, not both"
[[ -z $directory || -r $directory ]] || die "cannot read directory file $directory"
[[ -z $http_url || -n $base_url ]] || die "--http-url goes with --base-url (the directory has each cell's HTTP URL)"
if [[ $plan -eq 0 ]]; then
	[[ -z $passwords_file || -r $passwords_file ]] || die "cannot read passwords file $passwords_file"
	[[ -n $passwords_file || -n ${COGNITO_PASSWORD:-} ]] || die "pass --passwords-file (or set COGNITO_PASSWORD)"
	[[ -n $client_id || -n $stack ]] || die "pass --client-id or --stack"
fi
[[ $max_time =~ ^[0-9]+$ && $max_time -gt 0 ]] || die "--max-time must be a positive integer"
[[ -z $sample || ($sample =~ ^[0-9]+$ && $sample -gt 0) ]] || die "--sample must be a positive integer"
if [[ -n $cacert && $insecure -eq 1 ]]; then
	die "use either --cacert or --insecure, not both"
fi
[[ -z $cacert || -r $cacert ]] || die "cannot read CA file $cacert"
[[ -z $endpoint || $endpoint =~ ^https?:// ]] || die "--endpoint must be an http(s) URL"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

if [[ -z $bin_dir ]]; then
	command -v go >/dev/null || die "go not found: install Go or pass --bin-dir"
	repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	bin_dir=$work/bin
	mkdir -p "$bin_dir"
	(cd "$repo_root" && go build -o "$bin_dir/" ./scripts/get-token ./scripts/seed-users ./scripts/stack-outputs) ||
		die "go build of get-token/seed-users/stack-outputs failed"
fi
[[ $plan -eq 1 || -x $bin_dir/get-token ]] || die "$bin_dir/get-token not found or not executable"
[[ -x $bin_dir/seed-users ]] || die "$bin_dir/seed-users not found or not executable"

aws_args=()
[[ -n $region ]] && aws_args+=(--region "$region")
[[ -n $profile ]] && aws_args+=(--profile "$profile")

# Users: the first user per tenant, by the seed tool's own parser.
declare -A t_user=()
users_order=()
listing=$("$bin_dir/seed-users" --users "$users_file" --list-tenant-users) || die "invalid users file $users_file (see above)"
while IFS=$'\t' read -r tenant user; do
	[[ -n $tenant ]] || continue
	t_user[$tenant]=$user
	users_order+=("$tenant")
done <<<"$listing"
[[ ${#users_order[@]} -gt 0 ]] || die "$users_file: no users"

# The directory: tenant -> cell, cell -> base URL and HTTP URL.
cell_re='^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$'
if [[ -n $base_url ]]; then
	base_url=${base_url%/}
	[[ $base_url =~ ^https://[^/?#]+$ ]] || die "base URL must be https://HOST[:PORT] without a path: $base_url"
	[[ -n $http_url ]] || http_url="http://${base_url#https://}"
	http_url=${http_url%/}
	[[ $http_url =~ ^http://[^/?#]+$ ]] || die "HTTP URL must be http://HOST[:PORT] without a path: $http_url"
	dir_tsv=""
	for t in "${users_order[@]}"; do
		dir_tsv+="$t"$'\t'"1"$'\t'"$base_url"$'\t'"$http_url"$'\n'
	done
elif [[ -n $directory ]]; then
	dir_tsv=$(<"$directory")
else
	[[ -x $bin_dir/stack-outputs ]] || die "$bin_dir/stack-outputs not found or not executable"
	dir_tsv=$("$bin_dir/stack-outputs" --stack "$stack" --directory --format tsv "${aws_args[@]+"${aws_args[@]}"}") ||
		die "could not read the tenant directory of stack $stack"
fi
declare -A t_cell=() cell_base=() cell_http=()
dir_order=()
lineno=0
while IFS= read -r line || [[ -n $line ]]; do
	lineno=$((lineno + 1))
	line=${line%$'\r'}
	[[ -n $line ]] || continue
	IFS=$'\t' read -r tenant cell base http extra <<<"$line"
	[[ -z ${extra:-} && $tenant =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ && $cell =~ $cell_re && $base =~ ^https://[^/?#]+$ && $http =~ ^http://[^/?#]+$ ]] ||
		die "directory line $lineno: want tenant<TAB>cell<TAB>https://HOST[:PORT]<TAB>http://HOST[:PORT], got: $line"
	[[ -z ${t_cell[$tenant]+x} ]] || die "directory line $lineno: tenant $tenant listed twice"
	if [[ -n ${cell_base[$cell]+x} && (${cell_base[$cell]} != "$base" || ${cell_http[$cell]} != "$http") ]]; then
		die "directory line $lineno: cell $cell has two different URLs"
	fi
	t_cell[$tenant]=$cell
	cell_base[$cell]=$base
	cell_http[$cell]=$http
	dir_order+=("$tenant")
done <<<"$dir_tsv"
[[ ${#dir_order[@]} -gt 0 ]] || die "the tenant directory is empty"
for t in "${users_order[@]}"; do
	[[ -n ${t_cell[$t]+x} ]] || die "tenant $t of $users_file is not in the tenant directory (not deployed?)"
done

# Candidates: directory tenants with a user, in directory order; the sample.
candidates=""
untested=0
for t in "${dir_order[@]}"; do
	if [[ -n ${t_user[$t]+x} ]]; then
		candidates+="$t"$'\t'"${t_cell[$t]}"$'\n'
	else
		untested=$((untested + 1))
	fi
done
n=${sample:-${#dir_order[@]}}
tenants=()
while IFS= read -r t; do
	[[ -n $t ]] && tenants+=("$t")
done < <(select_sample "$n" <<<"$candidates")
cells=()
declare -A cell_first=()
for t in "${tenants[@]}"; do
	c=${t_cell[$t]}
	if [[ -z ${cell_first[$c]+x} ]]; then
		cell_first[$c]=$t
		cells+=("$c")
	fi
done

if [[ $plan -eq 1 ]]; then
	for t in "${tenants[@]}"; do
		printf '%s\t%s\t%s\t%s\n' "$t" "${t_cell[$t]}" "${t_user[$t]}" "${cell_base[${t_cell[$t]}]}/$t/"
	done
	exit 0
fi
if [[ -n $sample && ${#tenants[@]} -gt $sample ]]; then
	printf 'NOTE --sample %s raised to %d: every cell is tested\n' "$sample" "${#tenants[@]}"
fi
if [[ $untested -gt 0 ]]; then
	printf 'NOTE %d tenant(s) of the directory have no user in %s: not tested\n' "$untested" "$users_file"
fi
printf 'NOTE testing %d of %d tenant(s) in %d cell(s)\n' "${#tenants[@]}" "${#dir_order[@]}" "${#cells[@]}"

tls_args=()
if [[ -n $cacert ]]; then
	tls_args+=(--cacert "$cacert")
elif [[ $insecure -eq 1 ]]; then
	tls_args+=(--insecure)
fi

token_args=()
[[ -n $passwords_file ]] && token_args+=(--passwords-file "$passwords_file")
if [[ -n $client_id ]]; then
	token_args+=(--client-id "$client_id")
else
	token_args+=(--stack "$stack")
fi
[[ -n $endpoint ]] && token_args+=(--endpoint "$endpoint")
token_args+=("${aws_args[@]+"${aws_args[@]}"}")

# get_token USER KIND -> prints the token (captured by the caller, never echoed).
get_token() {
	local tok
	if ! tok=$("$bin_dir/get-token" --username "$1" --token "$2" "${token_args[@]}"); then
		return 1
	fi
	[[ $tok =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || return 1
	printf '%s' "$tok"
}

passed=0
failed=0
report() { # report CASE EXPECTED GOT
	if [[ $2 == "$3" ]]; then
		passed=$((passed + 1))
		printf 'PASS %s expected=%s got=%s\n' "$1" "$2" "$3"
	else
		failed=$((failed + 1))
		printf 'FAIL %s expected=%s got=%s\n' "$1" "$2" "$3"
	fi
}

# at_cell NAME CELL: the per-cell case name (suffixed only with several cells).
at_cell() {
	if [[ ${#cells[@]} -gt 1 ]]; then
		printf '%s@cell-%s' "$1" "$2"
	else
		printf '%s' "$1"
	fi
}

body=$work/body
status=""
location=""
# request URL [TOKEN] [PROTO]: sets status (000 on transport errors) and location; body in $body.
request() {
	local url=$1 token=${2-} proto=${3:-=https} out
	local -a args=(--silent --max-time "$max_time" --proto "$proto" --output "$body"
		--write-out '%{http_code} %{redirect_url}')
	if [[ $proto == "=https" ]]; then
		args+=("${tls_args[@]+"${tls_args[@]}"}")
	fi
	: >"$body"
	if [[ -n $token ]]; then
		# The header goes through stdin so the token never appears in argv (ps).
		out=$(printf 'header = "Authorization: Bearer %s"\n' "$token" | curl "${args[@]}" --config - "$url") || true
	else
		out=$(curl "${args[@]}" "$url") || true
	fi
	status=${out%% *}
	[[ $status =~ ^[0-9]{3}$ ]] || status=000
	location=${out#* }
	[[ $out == *" "* ]] || location=""
}

json_string() { # json_string KEY: first "KEY":"value" in the body
	sed -n -E 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' "$body" | head -n 1
}

has_lambda_body() {
	grep -q '"tenantId"' "$body"
}

# url_of TENANT: the tenant's prefix URL on its own cell.
url_of() {
	printf '%s/%s' "${cell_base[${t_cell[$1]}]}" "$1"
}

# Tokens (kept in variables only).
declare -A tokens=()
for t in "${tenants[@]}"; do
	tok=$(get_token "${t_user[$t]}" access) || tok=""
	tokens[$t]=$tok
	if [[ -z $tok ]]; then
		report "get-token:${t_user[$t]}" token error
	fi
done
first=${tenants[0]}
first_token=${tokens[$first]}

# Per cell: the listener's answers without a valid token, the rewrite, the
# default action and the HTTP redirect.
for c in "${cells[@]}"; do
	f=${cell_first[$c]}
	base=${cell_base[$c]}
	tok=${tokens[$f]}
	request "$base/$f/"
	got=$status
	has_lambda_body && got="$status+lambda-body"
	report "$(at_cell "no-token:$f" "$c")" 401 "$got"
	request "$base/$f/" "not-a-jwt"
	report "$(at_cell "garbage-token:$f" "$c")" 401 "$status"

	if [[ -n $tok ]]; then
		request "$base/$f/orders/7?x=1" "$tok"
		x=""
		grep -Eq '"x"[[:space:]]*:[[:space:]]*"1"' "$body" && x=1
		report "$(at_cell "rewrite:/$f/orders/7?x=1" "$c")" "200:$f:/orders/7:x=1" "$status:$(json_string tenantId):$(json_string path):x=$x"
		request "$base/$f" "$tok"
		report "$(at_cell "bare-prefix:/$f" "$c")" "200:$f:/" "$status:$(json_string tenantId):$(json_string path)"
	else
		report "$(at_cell "rewrite:/$f/orders/7?x=1" "$c")" "200:$f:/orders/7:x=1" no-token
		report "$(at_cell "bare-prefix:/$f" "$c")" "200:$f:/" no-token
	fi

	request "$base/"
	report "$(at_cell "unknown-path:/" "$c")" 404 "$status"
	unknown="no-such-tenant-$RANDOM$RANDOM"
	request "$base/$unknown/x" "$tok"
	report "$(at_cell "unknown-path:/$unknown/x" "$c")" 404 "$status"

	http=${cell_http[$c]}
	http_host=${http#http://}
	http_host=${http_host%:*}
	request "$http/$f/x?q=1" "" "=http"
	got="$status:redirect-mismatch"
	want_re="^https://${http_host//./\\.}(:[0-9]+)?/$f/x\\?q=1$"
	if [[ $location =~ $want_re ]]; then
		got="$status:https://$http_host/$f/x?q=1"
	elif [[ -z $location ]]; then
		got="$status:no-location"
	fi
	report "$(at_cell "http-redirect:/$f/x?q=1" "$c")" "301:https://$http_host/$f/x?q=1" "$got"
done

# Own tenant, every other tested tenant (same cell and other cells), and the
# tenant's own prefix on another cell's ALB (no rule there: 404).
for i in "${!tenants[@]}"; do
	t=${tenants[$i]}
	tok=${tokens[$t]}
	if [[ -z $tok ]]; then
		report "own-tenant:$t" "200:$t" no-token
		continue
	fi
	request "$(url_of "$t")/" "$tok"
	report "own-tenant:$t" "200:$t" "$status:$(json_string tenantId)"
	for u in "${tenants[@]}"; do
		[[ $u != "$t" ]] || continue
		kind=cross-tenant
		[[ ${t_cell[$u]} == "${t_cell[$t]}" ]] || kind=cross-cell
		request "$(url_of "$u")/" "$tok"
		got=$status
		has_lambda_body && got="$status+lambda-body"
		report "$kind:$t->$u" 401 "$got"
	done
	if [[ ${#cells[@]} -gt 1 ]]; then
		# The next tested cell after the tenant's own, wrapping around.
		other=""
		for j in "${!cells[@]}"; do
			if [[ ${cells[$j]} == "${t_cell[$t]}" ]]; then
				other=${cells[$(((j + 1) % ${#cells[@]}))]}
			fi
		done
		request "${cell_base[$other]}/$t/" "$tok"
		got=$status
		has_lambda_body && got="$status+lambda-body"
		report "wrong-cell:$t@cell-$other" 404 "$got"
	fi
done
if [[ ${#tenants[@]} -lt 2 ]]; then
	printf 'NOTE only one tenant tested: cross-tenant and tampered-payload cases skipped\n'
fi

# ID token instead of access token
if id_token=$(get_token "${t_user[$first]}" id); then
	request "$(url_of "$first")/" "$id_token"
	report "id-token:$first" 401 "$status"
else
	report "id-token:$first" 401 no-token
fi
unset id_token

# Tampered token: tenant B's payload with tenant A's header and signature, sent to B.
if [[ ${#tenants[@]} -ge 2 ]]; then
	second=${tenants[1]}
	second_token=${tokens[$second]}
	if [[ -n $first_token && -n $second_token ]]; then
		IFS=. read -r a_header _ a_sig <<<"$first_token"
		IFS=. read -r _ b_payload _ <<<"$second_token"
		request "$(url_of "$second")/" "$a_header.$b_payload.$a_sig"
		got=$status
		has_lambda_body && got="$status+lambda-body"
		report "tampered-payload:$first-signature-$second-payload" 401 "$got"
	else
		report "tampered-payload:$first-signature-$second-payload" 401 no-token
	fi
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]

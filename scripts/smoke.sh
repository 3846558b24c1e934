#!/usr/bin/env bash
# smoke.sh - curl smoke matrix for the tenant-routing ALB (on AWS or local mode).
#
# For every tenant in the users file (the first user listed per tenant) it
# signs the user in with scripts/get-token and checks:
#   no-token            no Authorization header -> 401, and the body is not the Lambda's
#   garbage-token       "Bearer not-a-jwt" -> 401
#   own-tenant          the tenant's access token on its own prefix -> 200, JSON tenantId = tenant
#   cross-tenant        a tenant's token on every other tenant's prefix -> 401
#   id-token            an ID token instead of the access token -> 401
#   tampered-payload    tenant B's payload spliced into A's header+signature, sent to B -> 401
#   rewrite             /A/orders/7?x=1 -> 200, the Lambda sees path /orders/7 and query x=1
#   bare-prefix         /A (no trailing slash) -> 200, path /
#   unknown-path        /, /<random>/x -> 404 (listener default action)
#   http-redirect       http://.../A/x?q=1 -> 301, Location https://<host>[:port]/A/x?q=1
#
# Output: one line per case "PASS|FAIL <case> expected=<x> got=<y>", then
# "N passed, M failed". Exit 0 only when everything passed (1 on failures,
# 2 on usage errors). Tokens and passwords are never printed and never put on
# a command line (curl reads the Authorization header from stdin via --config -).
# JSON is read with sed (no jq dependency): the handler returns compact JSON
# with tenantId, path, query, method, requestId.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: smoke.sh --users FILE (--base-url https://HOST | --stack NAME) [options]

  --base-url URL        HTTPS base URL of the ALB (e.g. https://127.0.0.1:8443)
  --stack NAME          read BaseUrl (and the client id, unless --client-id) from this stack
  --http-url URL        HTTP URL for the redirect check (default: the base URL with
                        http://, same host and port; local mode must pass it)
  --users FILE          users CSV (username,email,tenant); first user per tenant is used
  --passwords-file FILE passwords JSON (0600) for get-token (default: get-token reads
                        COGNITO_PASSWORD)
  --client-id ID        Cognito app client id (default: from --stack)
  --endpoint URL        Cognito endpoint for get-token (cognito-local)
  --region R, --profile P   passed to get-token and stack-outputs
  --cacert FILE         trust this CA/self-signed certificate
  -k, --insecure        accept any certificate (only when asked)
  --bin-dir DIR         directory with prebuilt get-token and stack-outputs binaries
                        (default: go build them into a temporary directory)
  --max-time SECONDS    per-request timeout (default 10)
  -h, --help            this help
EOF
}

die() {
	printf 'smoke.sh: %s\n' "$*" >&2
	exit 2
}

base_url=""
http_url=""
stack=""
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

need_value() {
	[[ $# -ge 2 && -n $2 && $2 != --* ]] || die "$1 needs a value"
}

while [[ $# -gt 0 ]]; do
	case $1 in
	--base-url) need_value "$@"; base_url=$2; shift 2 ;;
	--stack) need_value "$@"; stack=$2; shift 2 ;;
	--http-url) need_value "$@"; http_url=$2; shift 2 ;;
	--users) need_value "$@"; users_file=$2; shift 2 ;;
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
[[ -n $base_url || -n $stack ]] || die "pass --base-url or --stack"
[[ -z $passwords_file || -r $passwords_file ]] || die "cannot read passwords file $passwords_file"
[[ -n $passwords_file || -n ${COGNITO_PASSWORD:-} ]] || die "pass --passwords-file (or set COGNITO_PASSWORD)"
[[ -n $client_id || -n $stack ]] || die "pass --client-id or --stack"
[[ $max_time =~ ^[0-9]+$ && $max_time -gt 0 ]] || die "--max-time must be a positive integer"
if [[ -n $cacert && $insecure -eq 1 ]]; then
	die "use either --cacert or --insecure, not both"
fi
[[ -z $cacert || -r $cacert ]] || die "cannot read CA file $cacert"
[[ -z $endpoint || $endpoint =~ ^https?:// ]] || die "--endpoint must be an http(s) URL"

# Tenants: the first user per tenant, in file order.
tenants=()
tenant_users=()
header_seen=0
while IFS= read -r line || [[ -n $line ]]; do
	line=${line%$'\r'}
	[[ -n ${line//[[:space:]]/} ]] || continue
	if [[ $header_seen -eq 0 ]]; then
		header_seen=1
		[[ ${line//[[:space:]]/} == "username,email,tenant" ]] || die "$users_file: header must be username,email,tenant"
		continue
	fi
	IFS=, read -r user _ tenant extra <<<"$line"
	user=${user//[[:space:]]/}
	tenant=${tenant//[[:space:]]/}
	[[ -z ${extra:-} && $user =~ ^[A-Za-z0-9][A-Za-z0-9._@+-]*$ && $tenant =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] ||
		die "$users_file: malformed line: $line"
	known=0
	for t in "${tenants[@]+"${tenants[@]}"}"; do
		[[ $t == "$tenant" ]] && known=1
	done
	if [[ $known -eq 0 ]]; then
		tenants+=("$tenant")
		tenant_users+=("$user")
	fi
done <"$users_file"
[[ ${#tenants[@]} -gt 0 ]] || die "$users_file: no users"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

if [[ -z $bin_dir ]]; then
	command -v go >/dev/null || die "go not found: install Go or pass --bin-dir"
	repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	bin_dir=$work/bin
	mkdir -p "$bin_dir"
	(cd "$repo_root" && go build -o "$bin_dir/" ./scripts/get-token ./scripts/stack-outputs) ||
		die "go build of get-token/stack-outputs failed"
fi
[[ -x $bin_dir/get-token ]] || die "$bin_dir/get-token not found or not executable"

aws_args=()
[[ -n $region ]] && aws_args+=(--region "$region")
[[ -n $profile ]] && aws_args+=(--profile "$profile")

if [[ -z $base_url ]]; then
	[[ -x $bin_dir/stack-outputs ]] || die "$bin_dir/stack-outputs not found or not executable"
	base_url=$("$bin_dir/stack-outputs" --stack "$stack" --key BaseUrl "${aws_args[@]+"${aws_args[@]}"}") ||
		die "could not read BaseUrl from stack $stack"
fi
base_url=${base_url%/}
[[ $base_url =~ ^https://[^/?#]+$ ]] || die "base URL must be https://HOST[:PORT] without a path: $base_url"
if [[ -z $http_url ]]; then
	http_url="http://${base_url#https://}"
fi
http_url=${http_url%/}
[[ $http_url =~ ^http://[^/?#]+$ ]] || die "HTTP URL must be http://HOST[:PORT] without a path: $http_url"
http_host=${http_url#http://}
http_host=${http_host%:*}

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

# Tokens (kept in variables only).
access_tokens=()
for i in "${!tenants[@]}"; do
	tok=$(get_token "${tenant_users[$i]}" access) || tok=""
	access_tokens+=("$tok")
	if [[ -z $tok ]]; then
		report "get-token:${tenant_users[$i]}" token error
	fi
done
first=${tenants[0]}
first_token=${access_tokens[0]}

# no-token and garbage-token
request "$base_url/$first/"
got=$status
has_lambda_body && got="$status+lambda-body"
report "no-token:$first" 401 "$got"
request "$base_url/$first/" "not-a-jwt"
report "garbage-token:$first" 401 "$status"

# own tenant and cross tenant
for i in "${!tenants[@]}"; do
	t=${tenants[$i]}
	tok=${access_tokens[$i]}
	if [[ -z $tok ]]; then
		report "own-tenant:$t" "200:$t" no-token
		continue
	fi
	request "$base_url/$t/" "$tok"
	report "own-tenant:$t" "200:$t" "$status:$(json_string tenantId)"
	for j in "${!tenants[@]}"; do
		[[ $i -ne $j ]] || continue
		u=${tenants[$j]}
		request "$base_url/$u/" "$tok"
		got=$status
		has_lambda_body && got="$status+lambda-body"
		report "cross-tenant:$t->$u" 401 "$got"
	done
done
if [[ ${#tenants[@]} -lt 2 ]]; then
	printf 'NOTE only one tenant in %s: cross-tenant and tampered-payload cases skipped\n' "$users_file"
fi

# ID token instead of access token
if id_token=$(get_token "${tenant_users[0]}" id); then
	request "$base_url/$first/" "$id_token"
	report "id-token:$first" 401 "$status"
else
	report "id-token:$first" 401 no-token
fi
unset id_token

# Tampered token: tenant B's payload with tenant A's header and signature, sent to B.
if [[ ${#tenants[@]} -ge 2 ]]; then
	second=${tenants[1]}
	second_token=${access_tokens[1]}
	if [[ -n $first_token && -n $second_token ]]; then
		IFS=. read -r a_header _ a_sig <<<"$first_token"
		IFS=. read -r _ b_payload _ <<<"$second_token"
		request "$base_url/$second/" "$a_header.$b_payload.$a_sig"
		got=$status
		has_lambda_body && got="$status+lambda-body"
		report "tampered-payload:$first-signature-$second-payload" 401 "$got"
	else
		report "tampered-payload:$first-signature-$second-payload" 401 no-token
	fi
fi

# Prefix rewrite keeps the rest of the path and the query.
if [[ -n $first_token ]]; then
	request "$base_url/$first/orders/7?x=1" "$first_token"
	x=""
	grep -Eq '"x"[[:space:]]*:[[:space:]]*"1"' "$body" && x=1
	report "rewrite:/$first/orders/7?x=1" "200:$first:/orders/7:x=1" "$status:$(json_string tenantId):$(json_string path):x=$x"
	request "$base_url/$first" "$first_token"
	report "bare-prefix:/$first" "200:$first:/" "$status:$(json_string tenantId):$(json_string path)"
else
	report "rewrite:/$first/orders/7?x=1" "200:$first:/orders/7:x=1" no-token
	report "bare-prefix:/$first" "200:$first:/" no-token
fi

# Unknown paths hit the listener's default action.
request "$base_url/"
report "unknown-path:/" 404 "$status"
unknown="no-such-tenant-$RANDOM$RANDOM"
request "$base_url/$unknown/x" "$first_token"
report "unknown-path:/$unknown/x" 404 "$status"

# HTTP redirects to HTTPS, keeping host, path and query.
request "$http_url/$first/x?q=1" "" "=http"
got="$status:redirect-mismatch"
want_re="^https://${http_host//./\\.}(:[0-9]+)?/$first/x\\?q=1$"
if [[ $location =~ $want_re ]]; then
	got="$status:https://$http_host/$first/x?q=1"
elif [[ -z $location ]]; then
	got="$status:no-location"
fi
report "http-redirect:/$first/x?q=1" "301:https://$http_host/$first/x?q=1" "$got"

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]

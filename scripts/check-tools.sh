#!/usr/bin/env bash
# check-tools.sh - check, in well under a second, every tool `make test` and
# `make local` need, and name what is missing with the command that installs
# it. With --install it installs what it can itself (apt-get for system
# packages, pip for cfn-lint; as root, or with sudo) and checks again.
#
# Needed: bash >= 4, make, git, go (the version go.mod asks for, or a newer
# toolchain), node >= 18 and npm (the pinned aws-cdk CLI and cognito-local are
# installed by `make deps`), curl (smoke matrix), shellcheck (lint).
# cfn-lint (template tests) is needed under CI=true; elsewhere a missing
# cfn-lint is reported and the tests that use it are skipped.
#
# Exit 0 when everything needed is there, 1 otherwise, 2 on usage errors.
set -euo pipefail

install=0
case ${1-} in
"") ;;
--install) install=1 ;;
-h | --help)
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	printf 'check-tools.sh: unknown argument: %s\n' "$1" >&2
	exit 2
	;;
esac

in_ci=0
[[ ${CI:-} == true ]] && in_ci=1

missing=()  # "tool|how to install"
apt_pkgs=() # installable with apt-get
pip_pkgs=() # installable with pip
warnings=()

need() { # need TOOL APT_PACKAGE HINT
	command -v "$1" >/dev/null 2>&1 && return 0
	missing+=("$1|$3")
	[[ -z $2 ]] || apt_pkgs+=("$2")
}

check() {
	missing=()
	apt_pkgs=()
	pip_pkgs=()
	warnings=()
	if ((BASH_VERSINFO[0] < 4)); then
		missing+=("bash >= 4 (this is $BASH_VERSION)|apt-get install -y bash (macOS: brew install bash)")
	fi
	need make make "apt-get install -y make"
	need git git "apt-get install -y git"
	need curl curl "apt-get install -y curl"
	need shellcheck shellcheck "apt-get install -y shellcheck"
	need go "" "install Go $want_go or newer: https://go.dev/doc/install"
	need node "" "install Node.js 18 or newer: https://nodejs.org/en/download (or apt-get install -y nodejs npm)"
	need npm "" "install npm (comes with Node.js; or apt-get install -y npm)"
	if command -v node >/dev/null 2>&1; then
		local v
		v=$(node --version 2>/dev/null || true)
		v=${v#v}
		if [[ ! ${v%%.*} =~ ^[0-9]+$ || ${v%%.*} -lt 18 ]]; then
			missing+=("node >= 18 (found ${v:-unknown})|install Node.js 18 or newer: https://nodejs.org/en/download")
		fi
	fi
	if ! command -v cfn-lint >/dev/null 2>&1; then
		if [[ $in_ci -eq 1 ]]; then
			missing+=("cfn-lint|pip install cfn-lint")
		else
			warnings+=("cfn-lint not found: the template lint tests will be skipped (install: pip install cfn-lint)")
		fi
		pip_pkgs+=(cfn-lint)
	fi
}

want_go=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$(dirname "$0")/../go.mod" 2>/dev/null || true)
want_go=${want_go:-1.22}

check
if [[ $install -eq 1 && (${#apt_pkgs[@]} -gt 0 || ${#pip_pkgs[@]} -gt 0) ]]; then
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 && sudo=(sudo)
	fi
	if [[ ${#apt_pkgs[@]} -gt 0 ]] && command -v apt-get >/dev/null 2>&1; then
		printf 'check-tools: installing with apt-get: %s\n' "${apt_pkgs[*]}"
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]+"${sudo[@]}"}" apt-get update -qq
		"${sudo[@]+"${sudo[@]}"}" apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
	fi
	if [[ ${#pip_pkgs[@]} -gt 0 ]]; then
		pip=""
		for p in pip3 pip; do
			if command -v "$p" >/dev/null 2>&1; then
				pip=$p
				break
			fi
		done
		if [[ -n $pip ]]; then
			printf 'check-tools: installing with %s: %s\n' "$pip" "${pip_pkgs[*]}"
			"$pip" install --quiet "${pip_pkgs[@]}"
			hash -r
			if command -v pyenv >/dev/null 2>&1; then
				pyenv rehash 2>/dev/null || true
			fi
		else
			printf 'check-tools: no pip to install %s with\n' "${pip_pkgs[*]}" >&2
		fi
	fi
	check
fi

for w in "${warnings[@]+"${warnings[@]}"}"; do
	printf 'check-tools: WARNING %s\n' "$w" >&2
done
if [[ ${#missing[@]} -gt 0 ]]; then
	printf 'check-tools: missing tools (the tests need them):\n' >&2
	for m in "${missing[@]}"; do
		printf '  %-28s %s\n' "${m%%|*}" "${m#*|}" >&2
	done
	printf 'check-tools: or run scripts/check-tools.sh --install (apt-get/pip, as root or with sudo)\n' >&2
	exit 1
fi
printf 'check-tools: ok (make git curl shellcheck go node npm%s)\n' "$(command -v cfn-lint >/dev/null 2>&1 && printf ' cfn-lint')"

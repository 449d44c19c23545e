#!/usr/bin/env bash
# The load benchmark in one command: installs wrk, nginx and haproxy when
# they are missing, builds Busbar and the benchmark's Go programs into
# bench/.build/, and hands over to the orchestrator (bench/harness) with
# this script's arguments. See bench/README.md.
#
#   bash bench/run.sh            # default plan, about 35-40 minutes
#   bash bench/run.sh -quick     # smoke run, about 2 minutes plus the build
#   bash bench/run.sh --help     # every option
set -euo pipefail
cd "$(dirname "$0")/.."

build=bench/.build

for arg in "$@"; do
	case "$arg" in
	-h | -help | --help)
		cat <<'USAGE'
bench/run.sh: Busbar's side-by-side load benchmark (see bench/README.md).

It installs wrk, nginx and haproxy with apt-get if they are missing (through sudo
when not root), builds busbar, bench/echo, bench/goproxy and bench/harness into
bench/.build/, and runs the harness with the arguments given here.

USAGE
		if command -v go >/dev/null 2>&1 && go build -o "$build/harness" ./bench/harness 2>/dev/null; then
			"$build/harness" -help 2>&1 || true
		else
			echo "(Go is needed to build the harness; its flags are listed in bench/README.md.)"
		fi
		exit 0
		;;
	esac
done

step() { printf '==> %s\n' "$*" >&2; }

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
	step "installing ${missing[*]}"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "apt-get not found: install ${missing[*]} with your package manager and run again" >&2
		exit 1
	fi
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	"${sudo[@]}" apt-get update -qq
	# The packages' services are not wanted: the harness starts its own
	# instances with generated configurations.
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi
# nginx and haproxy live in /usr/sbin, which a non-root PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin" ;; esac

if ! command -v go >/dev/null 2>&1; then
	echo "Go is not installed (see go.mod for the version); install it and run again" >&2
	exit 1
fi

step "building busbar, echo, goproxy and harness into $build/"
mkdir -p "$build"
# Stamp the commit into Busbar (its version line goes into the report)
# when this is a git checkout, whatever GOFLAGS says.
vcs=-buildvcs=false
if git rev-parse --git-dir >/dev/null 2>&1; then
	vcs=-buildvcs=true
fi
go build "$vcs" -o "$build/busbar" ./cmd/busbar
go build -o "$build/echo" ./bench/echo
go build -o "$build/goproxy" ./bench/goproxy
go build -o "$build/harness" ./bench/harness

# The harness's defaults (-bin bench/.build, -artifacts bench/artifacts,
# -out bench/results) are relative to the repository root, where we are.
exec "$build/harness" "$@"

#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, race-enabled tests and
# a one-iteration run of every benchmark so they keep compiling. CI runs
# exactly this (.ci/run). Everything it needs comes from go.mod and the Go
# module proxy; nothing has to be installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=2026.2.2
export GOBIN="$PWD/.cache/bin"
mkdir -p "$GOBIN"

step() { printf '\n==> %s\n' "$*"; }

step "go mod download"
go mod download

step "gofmt"
unformatted=$(gofmt -l $(go list -f '{{.Dir}}' ./...))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
if [ ! -x "$GOBIN/staticcheck" ] || ! "$GOBIN/staticcheck" -version 2>/dev/null | grep -q "$STATICCHECK_VERSION"; then
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
"$GOBIN/staticcheck" ./...

step "go test -race"
go test -race -count=1 -timeout 15m ./...

step "benchmarks compile and run once"
go test -run '^$' -bench . -benchtime 1x -timeout 10m ./... >/dev/null

echo
echo "all checks passed"

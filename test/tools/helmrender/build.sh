#!/usr/bin/env bash
# Builds helmrender (main.go beside this script): a stand-in for `helm template` on machines without helm
# (Go text/template + sprig + Helm's include/tpl/required/toYaml/fromYaml/toJson/fromJson/lookup).
# Vendored from the project's shared tools so that CI's fresh clone has it. Prints the binary's path.
# Usage: build.sh [OUTDIR]   then: helmrender CHART_DIR [-f values.yaml] [--set-json 'a.b=JSON'] [--name R] [--namespace N]
# Needs the Debian packages golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev
# (.ci/run installs them; this script installs them when they are missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/helmrender-bin}
if [ -x "$out/helmrender" ] && [ "$out/helmrender" -nt "$here/main.go" ]; then
  echo "$out/helmrender"
  exit 0
fi
if ! dpkg -s golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    golang-go golang-github-masterminds-sprig-dev golang-github-ghodss-yaml-dev >/dev/null
fi
src=$(mktemp -d /tmp/helmrender-src.XXXXXX)
trap 'rm -rf "$src"' EXIT
cp "$here/main.go" "$src/main.go"
mkdir -p "$out"
(cd "$src" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=/tmp/helmrender-cache go build -o "$out/helmrender.tmp" .)
mv "$out/helmrender.tmp" "$out/helmrender"
echo "$out/helmrender"

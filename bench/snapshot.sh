#!/bin/sh
# Copies the repository, dist/ and node_modules included but not .git, to DIR, so that builds in the
# working tree cannot change the code under measurement, and records in DIR/bench/SNAPSHOT the
# commit and the uncommitted changes to the code the exporter runs. A benchmark run from the copy
# reports that state and writes its figures to the working tree's bench/results.md.
# Usage: bench/snapshot.sh DIR   (build first: npx tsc -p .)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?usage: bench/snapshot.sh DIR}
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$src" --exclude=./.git -cf - . | tar -C "$dest" -xf -
{
  echo "source=$src"
  echo "commit=$(git -C "$src" rev-parse HEAD)"
  echo "dirty=$(git -C "$src" status --short -- exporter probes index.ts | tr '\n' ';')"
  echo "at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$dest/bench/SNAPSHOT"
echo "$dest: $(cat "$dest/bench/SNAPSHOT" | tr '\n' ' ')"

#!/usr/bin/env bash
# make bundle: one archive that installs piaojue on a machine with no network (a congress hall,
# a government intranet). It holds the application (the files git tracks, without tests and
# benchmarks), every Python dependency as wheels for x86_64 and aarch64 (Python 3.11, glibc
# 2.28 or newer: Debian 10+, UOS 20, Kylin V10, openEuler 20.03+), pinned by
# requirements-runtime.lock with their hashes, install.sh, and SHA256SUMS of every file.
# The fonts and libraries the PDFs need come from the office's own package mirror:
# install.sh checks them first and names the packages that are missing.
#   BUNDLE_DIR  where the archive is written (default: dist)
#   ARCHES      which machines to carry wheels for (default: "x86_64 aarch64")
set -euo pipefail
cd "$(dirname "$0")/.."
PIP=${PIP:-.venv/bin/pip}
out=$(mkdir -p "${BUNDLE_DIR:-dist}" && cd "${BUNDLE_DIR:-dist}" && pwd)
arches=${ARCHES:-x86_64 aarch64}
version=$(git describe --always --dirty 2>/dev/null || echo unknown)
name="piaojue-$(date +%Y%m%d)-${version}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage"

git ls-files -z | grep -zv -e '^tests/' -e '^bench/' -e '^\.ci/' \
  | xargs -0 -I{} cp --parents {} "$stage/"
cp scripts/bundle/install.sh "$stage/install.sh"
chmod +x "$stage/install.sh"

for arch in $arches; do
  echo "wheels for $arch …"
  "$PIP" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    --platform "manylinux_2_28_$arch" --platform "manylinux_2_17_$arch" --platform "manylinux2014_$arch" \
    --platform any --require-hashes -r requirements-runtime.lock -d "$stage/wheels/$arch" 2> >(grep -v "is ignored: it is neither" >&2)
done

{
  echo "piaojue $version"
  echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "python 3.11+"
  echo "arches $arches"
} > "$stage/BUNDLE-INFO"
(cd "$stage" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)
tar -C "$work" -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1))"

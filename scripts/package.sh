#!/usr/bin/env bash
# Builds the Debian package: scripts/package.sh [OUT_DIR] -> OUT_DIR/redact_<version>_amd64.deb
# (default OUT_DIR: build/package). Installs the build into a staging root under /usr, and
# writes Depends from what the installed binary links (each library's package, as dpkg knows
# it, at least the version installed here) plus the data it reads at run time (Tesseract's
# English and orientation models). Nothing of the build or the tests is a dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/package}
[[ -x build/redact ]] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
version=$(sed -n 's/^project(redact VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cmake --build build --target redact man >/dev/null
DESTDIR="$stage/root" cmake --install build --prefix /usr >/dev/null
root=$stage/root

# Depends: the package of every shared library the binary links, >= the version here.
declare -A seen=()
deps=()
while read -r lib; do
  real=$(readlink -f "$lib")
  pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [[ -z $pkg || -n ${seen[$pkg]:-} ]] && continue
  seen[$pkg]=1
  ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
  # The upstream version only (a rebuild of the same library still satisfies it).
  ver=${ver%%-*}
  deps+=("$pkg${ver:+ (>= $ver)}")
done < <(
  # The libraries the binary names itself (what they need in turn, their packages depend on).
  needed=$(readelf -d "$root/usr/bin/redact" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
  ldd "$root/usr/bin/redact" | awk -v n="$needed" 'BEGIN {split(n, a, "\n"); for (i in a) want[a[i]] = 1}
    /=> \// && ($1 in want) {print $3}' | sort -u)
deps+=("tesseract-ocr-eng" "tesseract-ocr-osd")
depends=$(IFS=,; echo "${deps[*]}" | sed 's/,/, /g')

mkdir -p "$root/DEBIAN"
size=$(du -sk "$root/usr" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: redact
Version: $version
Architecture: $arch
Maintainer: redact maintainers <redact@localhost>
Installed-Size: $size
Depends: $depends
Recommends: libreoffice-writer-nogui, libreoffice-calc-nogui
Suggests: chromium
Section: utils
Priority: optional
Description: release copies of FOI drafts that are safe to publish
 redact turns draft disclosure documents (PDFs, scans, text, Word and OpenDocument
 files, e-mail) into release copies built fresh from pixels and the words kept,
 with a hash-chained audit log, a reviewer report and a review in the browser.
 Runs as a batch command or a watched-folder daemon (systemd unit included).
CONTROL
mkdir -p "$out"
deb=$out/redact_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"

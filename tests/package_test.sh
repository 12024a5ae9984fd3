#!/usr/bin/env bash
# The Debian package: built by scripts/package.sh, installed with dpkg -i into a temporary
# root, used from there (redact batch on the samples, its man pages, its completion, its
# unit), and removed with dpkg -r, leaving nothing behind. Run by ctest.
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
deb=$("$src/scripts/package.sh" "$tmp/pkg")
[[ -f $deb ]] || fail "no package"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpoppler-cpp libtesseract liblept libre2 libqpdf tesseract-ocr-eng tesseract-ocr-osd; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
names=$(echo "$depends" | tr ',' '\n' | sed 's/(.*//; s/ //g')
for name in $names; do
  case $name in
    gcc|gcc-*|g++|g++-*|cpp-1*|cmake|*-dev|libgtest*|googletest|libgmock*|libbenchmark*|chromium*|python3*)
      fail "Depends holds a build or test package: $name" ;;
  esac
done
# Every dependency is a package this machine has (the package installs where it was built).
for dep in $names; do
  dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' ||
    fail "Depends names $dep, not installed here"
done

root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log"
touch "$root/var/lib/dpkg/status"
# --force-depends: the temporary root's dpkg knows no packages (the dependencies were checked
# against this machine above).
dpkg --root="$root" --force-not-root --force-depends --log=/dev/null -i "$deb" >/dev/null 2>"$tmp/dpkg.log" ||
  fail "dpkg -i: $(cat "$tmp/dpkg.log")"
dpkg --root="$root" --force-not-root -s redact | grep -q '^Status: install ok installed' ||
  fail "not installed"
bin=$root/usr/bin/redact
[[ -x $bin ]] || fail "no $bin"
# From the installed path, with the installed rule packs (found beside the binary).
"$bin" batch "$src/samples" -o "$tmp/out" -q --release-flagged > "$tmp/batch.log" 2>&1 ||
  fail "redact batch from the package: $(cat "$tmp/batch.log")"
[[ -f $tmp/out/release/police-remote-devices-draft.pdf ]] || fail "no release"
grep -q "$root/usr/share/redact/rules" "$tmp/out/audit/audit.jsonl" ||
  fail "the run did not use the installed rule packs"
pdftotext "$tmp/out/release/police-remote-devices-draft.pdf" - | grep -q "10.44.12.7" &&
  fail "the release holds a redacted address"
for page in redact redact-batch redact-watch redact-scan redact-review redact-report redact-rules redact-audit; do
  f=$root/usr/share/man/man1/$page.1.gz
  [[ -f $f ]] || fail "no man page $page"
  zcat "$f" | grep -q '^\.SH DESCRIPTION' || fail "$page is not a man page"
done
zcat "$root/usr/share/man/man1/redact-batch.1.gz" | grep -q -- '--decisions' ||
  fail "redact-batch(1) does not list the options"
[[ -f $root/usr/share/bash-completion/completions/redact ]] || fail "no bash completion"
[[ -f $root/usr/share/zsh/vendor-completions/_redact ]] || fail "no zsh completion"
[[ -f $root/usr/share/doc/redact/README.md ]] || fail "no README"
[[ -f $root/usr/share/doc/redact/examples/redact.toml ]] || fail "no example configuration"
unit=$root/usr/lib/systemd/system/redact-watch.service
grep -q '^ExecStart=/usr/bin/redact watch' "$unit" || fail "the unit does not run /usr/bin/redact"
grep -q 'file:///usr/share/doc/redact/README.md' "$unit" || fail "the unit's Documentation"
# The completion offers a command's options from its own --help.
out=$(bash -c "source '$root/usr/share/bash-completion/completions/redact'
  COMP_WORDS=('$bin' scan --for); COMP_CWORD=2; _redact; echo \"\${COMPREPLY[*]}\"")
[[ $out == *--format* ]] || fail "completion: '$out'"
# The example configuration passes the daemon's check (folders made for it here).
sed -e "s|/srv/foi|$tmp/srv|" -e "s|/usr/share/redact/rules|$root/usr/share/redact/rules|" \
  "$root/usr/share/doc/redact/examples/redact.toml" > "$tmp/redact.toml"
mkdir -p "$tmp/srv/inbox"
"$bin" watch --config "$tmp/redact.toml" --check-config > "$tmp/check.log" 2>&1 ||
  fail "the example configuration: $(cat "$tmp/check.log")"
dpkg --root="$root" --force-not-root --log=/dev/null -r redact >/dev/null || fail "dpkg -r"
[[ ! -e $bin && ! -e $root/usr/share/redact/rules/uk-foi/encryption.toml ]] ||
  fail "files left after dpkg -r"
echo "package: built, installed, used and removed: $(basename "$deb")"

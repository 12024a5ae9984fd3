#!/usr/bin/env bash
# Writes one man page per command of redact (section 1) from the command's own --help, so the
# pages say what the program says: make-man.sh REDACT_BINARY OUT_DIR VERSION
set -euo pipefail
bin=$1 out=$2 version=$3
mkdir -p "$out"
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-0}" +%Y-%m-%d 2>/dev/null || echo 1970-01-01)

# roff-safe text: backslashes doubled, a leading dot or quote protected.
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/" -e 's/^-/\\-/'; }

page() {  # page NAME "SUMMARY" HELP_ARGS...
  local name=$1 summary=$2; shift 2
  local help
  help=$("$bin" "$@" --help 2>&1 || true)
  {
    echo ".TH \"${name^^}\" 1 \"$date\" \"redact $version\" \"User Commands\""
    echo ".SH NAME"
    echo "$name \\- $summary"
    echo ".SH DESCRIPTION"
    echo ".nf"
    printf '%s\n' "$help" | esc
    echo ".fi"
    echo ".SH FILES"
    echo "The shipped rule packs: /usr/share/redact/rules. The audit key:"
    echo "\$XDG_STATE_HOME/redact/audit.key (or \\-\\-key\\-file, \$REDACT_KEY_FILE)."
    echo "The configuration of the daemon: /etc/redact/redact.toml (\\-\\-config)."
    echo ".SH SEE ALSO"
    echo "redact(1), redact-batch(1), redact-watch(1), redact-scan(1), redact-review(1),"
    echo "redact-report(1), redact-rules(1), redact-audit(1);"
    echo "/usr/share/doc/redact/README.md"
  } | gzip -n -9 > "$out/$name.1.gz"
}

page redact "release copies of FOI drafts that are safe to publish"
page redact-batch "redact every file under the inputs into OUT/release" batch
page redact-watch "a daemon: redact every file dropped into a folder" watch
page redact-scan "report what the rules would redact in files" scan
page redact-review "review a batch's findings in the browser, redact by hand, apply" review
page redact-report "the reviewer report (HTML) from an audit log" report
page redact-rules "test, lint and explain rule packs" rules
page redact-audit "verify and merge hash-chained audit logs" audit

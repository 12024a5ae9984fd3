# bash completion for redact. Commands, then each command's options as its own --help lists
# them (so they never fall out of step with the program), then files.
_redact() {
  local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]:-}
  local commands="batch watch scan review report rules audit --help --version"
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    return
  fi
  case $cmd in
    rules) if (( COMP_CWORD == 2 )); then COMPREPLY=($(compgen -W "test lint explain" -- "$cur")); return; fi ;;
    audit) if (( COMP_CWORD == 2 )); then COMPREPLY=($(compgen -W "verify merge" -- "$cur")); return; fi ;;
  esac
  if [[ $cur == -* ]]; then
    local opts
    opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case ${COMP_WORDS[COMP_CWORD-1]} in
    --ocr) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --audit-text) COMPREPLY=($(compgen -W "plain hash none" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "text json sarif" -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
  esac
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _redact redact

#!/usr/bin/env bash
# `kopia-webhook completion bash`, run in bash as the shell would: the
# commands are the top-level usage's, each command's flags are exactly those
# its --help lists, flags that take one of a few words offer words the
# command accepts, and files and directories are offered where they belong.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$bin" completion bash >"$tmp/completion.bash" || fail "completion bash: exit $?"
bash -n "$tmp/completion.bash" && ok || fail "the script is not valid bash"
"$bin" completion zsh >/dev/null 2>"$tmp/err"; [ $? = 2 ] && grep -q "only bash" "$tmp/err" && ok || fail "completion zsh"
"$bin" completion --help | grep -q '^usage: kopia-webhook completion bash' && ok || fail "completion --help"

# complete WORD... : what completing the last word offers, one per line, sorted.
complete_words() {
  (
    cd "$tmp/cwd" || exit 1
    # shellcheck disable=SC1090
    source "$tmp/completion.bash"
    COMP_WORDS=(kopia-webhook "$@")
    COMP_CWORD=$#
    _kopia_webhook
    printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
  )
}
mkdir -p "$tmp/cwd/clusters" && touch "$tmp/cwd/backup.yaml" "$tmp/cwd/cert.pem"

# Commands: those of the top-level usage.
"$bin" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/{print $1}' | sort >"$tmp/want"
complete_words "" | grep -v '^-' >"$tmp/got"
diff "$tmp/want" "$tmp/got" >/dev/null && ok || { fail "commands differ (want < > got)"; diff "$tmp/want" "$tmp/got"; }

# Flags: exactly each command's --help.
help_flags() { # the flags `$bin $1 --help` lists (its lines that start with a flag)
  "$bin" "$1" --help | grep -oE '^  -[a-zA-Z0-9-]+(, --[a-z0-9-]+)?' | sed 's/^  //' |
    tr ',' '\n' | sed 's/^ *//' | sort -u
}
for command in serve check review gen-certs version completion; do
  help_flags "$command" >"$tmp/want"
  complete_words "$command" - | sort -u >"$tmp/got"
  if diff "$tmp/want" "$tmp/got" >/dev/null; then ok; else
    fail "$command: flags differ between --help (<) and completion (>)"
    diff "$tmp/want" "$tmp/got"
  fi
done

# Words: every value offered is accepted.
cp "$src/examples/mydata-backup.yaml" "$tmp/ok.yaml"
for value in $(complete_words check --output ""); do
  "$bin" check --output "$value" "$tmp/ok.yaml" >/dev/null 2>&1 && ok || fail "check --output $value is offered but refused"
done
[ "$(complete_words check --output "" | wc -l)" -ge 3 ] && ok || fail "check --output offers too few formats"
for value in $(complete_words check --operator-version ""); do
  "$bin" check --operator-version "$value" "$tmp/ok.yaml" >/dev/null 2>&1 && ok || fail "check --operator-version $value is offered but refused"
done
for value in $(complete_words version --output ""); do
  "$bin" version --output "$value" >/dev/null 2>&1 && ok || fail "version --output $value is offered but refused"
done
[ "$(complete_words serve --log-level "" | tr '\n' ' ')" = "debug error info warn " ] && ok || fail "serve --log-level: $(complete_words serve --log-level "")"
complete_words check --output j | grep -qx json && ok || fail "check --output j does not offer json"

# Files and directories.
complete_words check b | grep -qx backup.yaml && ok || fail "check does not offer files"
complete_words serve --tls-cert c | grep -qx cert.pem && ok || fail "--tls-cert does not offer files"
[ "$(complete_words gen-certs --out "")" = clusters ] && ok || fail "--out offers more than directories: $(complete_words gen-certs --out "")"
[ -z "$(complete_words serve --threads "")" ] && ok || fail "--threads offers words"
complete_words help c | grep -qx check && ok || fail "help does not offer commands"

echo "test_completion: $passes passed, $fails failed"
[ $fails = 0 ]

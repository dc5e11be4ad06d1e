#!/usr/bin/env bash
# The operator's own test objects (tests/fixtures/operator/<tag>/, INDEX.tsv)
# through `kopia-webhook check --operator-version <tag>`: every object the
# operator accepts must be allowed (warnings are fine), every object it
# rejects must be denied, except the exceptions listed with their reason in
# docs/operator.md ("Operator fixtures the webhook judges differently").
# Environment: KW_BINARY (kopia-webhook), KW_SOURCE_DIR (repository).
set -u
bin=${KW_BINARY:?}
root=${KW_SOURCE_DIR:?}
dir=$root/tests/fixtures/operator
doc=$root/docs/operator.md
# The exceptions: lines "* `<tag>/<file>` — ..." of that section.
exceptions=$(sed -n '/^### g.1 Operator fixtures the webhook judges differently/,/^##/p' "$doc" |
    sed -n 's/^\* `\([^`]*\)`.*/\1/p')
fail=0 passed=0 excused=0
mark=$(mktemp)
tail -n +2 "$dir/INDEX.tsv" | while IFS="$(printf '\t')" read -r file tag source expectation; do
    want=
    case "$expectation" in
    accept*) want=allowed ;;
    reject*) want=denied ;;
    *) continue ;;
    esac
    out=$("$bin" check --operator-version "$tag" "$dir/$file" 2>&1)
    rc=$?
    got=allowed
    [ $rc -eq 1 ] && got=denied
    [ $rc -gt 1 ] && got="unreadable ($rc)"
    excused=no
    printf '%s\n' $exceptions | grep -qx "$file" && excused=yes
    if [ "$got" = "$want" ]; then
        if [ $excused = yes ]; then
            # An exception that no longer differs: the doc must not say it does.
            echo "FAIL $file ($tag): listed as judged differently in docs/operator.md, but the verdict ($got) is the operator's"
            echo x >>"$mark"
        else
            echo ok >>"$mark.ok"
        fi
        continue
    fi
    if [ $excused = yes ]; then
        echo ok >>"$mark.ok"
        continue
    fi
    echo "FAIL $file ($tag, $source): $got, operator: $expectation"
    printf '%s\n' "$out" | sed 's/^/    /'
    echo x >>"$mark"
done
ok=$(cat "$mark.ok" 2>/dev/null | wc -l)
bad=$(wc -l <"$mark")
rm -f "$mark" "$mark.ok"
echo "operator fixtures: $ok passed, $bad failed"
[ "$bad" -eq 0 ]

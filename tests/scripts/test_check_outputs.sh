#!/usr/bin/env bash
# Every output format of `kopia-webhook check` on the manifests of
# tests/fixtures/check/input, compared byte for byte with the expected output
# in tests/fixtures/check/expected/ (how to regenerate: the README next to
# them); the JUnit reports validated with xmllint against the Jenkins/Ant
# schema and the SARIF logs with python3-jsonschema against SARIF 2.1.0 (both
# schema files are committed, so nothing is fetched); the patched YAML read
# back (PyYAML, YAML 1.1 like kubectl's reader) equal to the objects of the
# JSON report. A missing validator skips its part with a message, unless
# KW_REQUIRE_TOOLS=1 (CI) makes that a failure.
set -uo pipefail
bin=${KW_BINARY:?}
src=${KW_SOURCE_DIR:?}
dir=$src/tests/fixtures/check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 passes=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { passes=$((passes + 1)); }
missing() {
  if [ "${KW_REQUIRE_TOOLS:-0}" = 1 ]; then fail "$1"; else echo "SKIP: $1"; fi
}

# What changes with releases, builds and the rule table is left out of the
# comparison: the driver's version and informationUri, its rules (checked
# against docs/rules.md below) and the results' ruleIndex (checked against
# the rules).
normalize() {
  sed -E 's/^(          "version": )"[^"]*"/\1"@VERSION@"/
          s/^(          "informationUri": )"[^"]*"/\1"@URI@"/
          s/^( *"ruleIndex": )[0-9]+/\1"@INDEX@"/' |
    awk '/^          "rules": \[$/ { print "          \"rules\": \"@RULES@\""; skip = 1; next }
         skip && /^          \]$/ { skip = 0; next }
         !skip'
}

# One format on the fixture directory, run from it so file names are stable.
for fmt in text json junit sarif patched; do
  (cd "$dir" && "$bin" check --output "$fmt" input) >"$tmp/raw.$fmt" 2>"$tmp/err.$fmt"
  rc=$?
  [ $rc -eq 2 ] && pass || fail "$fmt: exit $rc, want 2 (an input error)"
  normalize <"$tmp/raw.$fmt" >"$tmp/out.$fmt"
  want=$dir/expected/$fmt.out
  if [ "${KW_UPDATE_GOLDEN:-0}" = 1 ]; then
    mkdir -p "$dir/expected" && cp "$tmp/out.$fmt" "$want"
    echo "updated $want"
  fi
  if cmp -s "$want" "$tmp/out.$fmt"; then pass; else
    fail "$fmt: output differs from tests/fixtures/check/expected/$fmt.out"
    diff -u "$want" "$tmp/out.$fmt" | head -40
  fi
done

# The machine-readable formats keep stdout for the report: the input error
# and the summary are on stderr.
for fmt in junit sarif patched; do
  grep -qF "input/policy.yaml:" "$tmp/err.$fmt" && grep -qF "2 other objects skipped" "$tmp/err.$fmt" &&
    pass || fail "$fmt: no input error or summary on stderr"
done
grep -qF '"skipped": 2' "$tmp/out.json" && pass || fail "json: skipped objects not counted"
grep -qF '<property name="skipped-objects" value="1"/>' "$tmp/out.junit" && pass ||
  fail "junit: skipped objects not counted"
if grep -qE 'app-settings|kind: Deployment|name: broken' "$tmp/out.patched"; then
  fail "patched: a skipped or denied object was written"
else pass; fi

# More reports to validate: an all-allowed run, standard input, an absolute
# path, a missing file.
(cd "$dir" && "$bin" check -o junit input/apps.yaml - /nonexistent.yaml <input/policy.yaml) \
  >"$tmp/more.junit" 2>/dev/null
(cd "$dir" && "$bin" check -o sarif "$dir/input/apps.yaml" - /nonexistent.yaml <input/policy.yaml) \
  >"$tmp/more.sarif" 2>/dev/null
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\n' >"$tmp/none.yaml"
"$bin" check -o junit "$tmp/none.yaml" >"$tmp/none.junit" 2>/dev/null && pass || fail "junit: nothing checked is not exit 0"
"$bin" check -o sarif "$tmp/none.yaml" >"$tmp/none.sarif" 2>/dev/null && pass || fail "sarif: nothing checked is not exit 0"
grep -qF '"uri": "file:///nonexistent.yaml"' "$tmp/more.sarif" && pass || fail "sarif: absolute path outside the working directory is not a file: URI"
grep -qF '"uri": "input/apps.yaml"' "$tmp/more.sarif" && pass || fail "sarif: absolute path under the working directory is not made relative"
grep -qF '"uri": "%3Cstdin%3E"' "$tmp/more.sarif" && pass || fail "sarif: standard input is not percent-encoded"

# JUnit against the Jenkins/Ant schema.
if command -v xmllint >/dev/null; then
  for f in "$tmp/out.junit" "$tmp/more.junit" "$tmp/none.junit"; do
    if xmllint --noout --schema "$dir/junit-10.xsd" "$f" 2>"$tmp/xmllint.err"; then pass; else
      fail "$(basename "$f"): not valid against junit-10.xsd"; cat "$tmp/xmllint.err"
    fi
  done
else
  missing "xmllint is not installed (libxml2-utils): JUnit output not validated"
fi

# A python3 with the given modules: the one on PATH, else Debian's.
python_with() {
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null && "$py" -c "import $1" 2>/dev/null && { echo "$py"; return 0; }
  done
  return 1
}

# SARIF against the SARIF 2.1.0 JSON schema.
if py=$(python_with jsonschema); then
  for f in "$tmp/raw.sarif" "$tmp/more.sarif" "$tmp/none.sarif"; do
    if "$py" - "$dir/sarif-schema-2.1.0.json" "$f" "$src/docs/rules.md" <<'PY'; then pass; else fail "$(basename "$f"): not valid SARIF 2.1.0"; fi
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
jsonschema.Draft7Validator.check_schema(schema)
errors = list(jsonschema.Draft7Validator(schema).iter_errors(log))
for e in errors[:5]:
    print(f"  {list(e.absolute_path)}: {e.message}")
# The driver's rules are the rule table as docs/rules.md documents it (ids
# with their severity as the level), then input-error.
levels = {"Deny": "error", "Warn": "warning", "Default": "note"}
want, rule_id = [], None
for line in open(sys.argv[3]):
    if line.startswith("### `"):
        rule_id = line.strip()[5:-1]
    elif rule_id and line.startswith("**"):
        want.append((rule_id, levels[line.split("**")[1]]))
        rule_id = None
want.append(("input-error", "error"))
driver_rules = log["runs"][0]["tool"]["driver"]["rules"]
got = [(r["id"], r["defaultConfiguration"]["level"]) for r in driver_rules]
if sorted(got) != sorted(want) or got[-1] != want[-1]:
    errors.append("rules")
    print(f"  driver rules differ from docs/rules.md: {sorted(set(got) ^ set(want))}")
if not all(r["shortDescription"]["text"] for r in driver_rules):
    errors.append("rules")
    print("  a rule without a short description")
# Every result names a rule of the driver, at its index.
rules = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
for r in log["runs"][0]["results"]:
    if rules[r["ruleIndex"]] != r["ruleId"]:
        errors.append(r)
        print(f"  result {r['ruleId']} has ruleIndex {r['ruleIndex']}")
sys.exit(1 if errors else 0)
PY
  done
else
  missing "python3-jsonschema is not installed: SARIF output not validated"
fi

# The patched YAML reads back as the allowed objects of the JSON report.
if py=$(python_with yaml); then
  if "$py" - "$tmp/out.patched" "$tmp/out.json" <<'PY'; then pass; else fail "patched: does not read back as the allowed objects"; fi
import json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
report = json.load(open(sys.argv[2]))
want = [o["object"] for o in report["objects"] if o["allowed"]]
if docs != want:
    print(json.dumps(docs, indent=1)[:2000])
    sys.exit(1)
PY
else
  missing "python3-yaml is not installed: patched output not read back"
fi

echo "check outputs: $passes passed, $fails failed"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# Every upstream example through the real `kopia-webhook check` (mutate, apply
# the patch, validate, as the API server would on CREATE), compared with the
# verdicts pinned by hand in tests/fixtures/upstream/EXPECTED.tsv: the
# verdict, the exact set of deny rule ids and of validation warning ids
# (warnings of the defaulting rules are the mutating webhook's own and are
# checked in the defaulting tests). Also: the exit status of check. The
# examples are checked in "default", where `kubectl apply` puts them.
set -uo pipefail
bin=${KW_BINARY:?}
dir=${KW_SOURCE_DIR:?}/tests/fixtures/upstream
command -v python3 >/dev/null || { echo "python3 missing: skipped"; exit 77; }
python3 - "$bin" "$dir" <<'PY'
import json, subprocess, sys
binary, folder = sys.argv[1], sys.argv[2]
mutate_rules = {"identity-pinned", "identity-annotation", "source-namespace-defaulted",
                "copymethod-defaulted", "policy-filenames-defaulted", "restoreasof-normalized",
                "identity-unpinnable", "identity-pinned-after-sync"}
def ids(cell):
    return set() if cell == "-" else set(cell.split(","))
passed = failed = 0
for line in open(f"{folder}/EXPECTED.tsv"):
    if line.startswith("#") or not line.strip():
        continue
    name, verdict, denies, warns = line.rstrip("\n").split("\t")
    run = subprocess.run([binary, "check", "--namespace", "default", "--output", "json",
                          f"{folder}/{name}"],
                         capture_output=True, text=True)
    problems = []
    try:
        report = json.loads(run.stdout)
    except ValueError:
        report = None
        problems.append(f"no JSON report (exit {run.returncode}): {run.stderr.strip()}")
    if report is not None:
        objects = report["objects"]
        if len(objects) != 1:
            problems.append(f"{len(objects)} objects checked, want 1")
        else:
            o = objects[0]
            got_verdict = "allowed" if o["allowed"] else "denied"
            got_denies = {e["rule"] for e in o["errors"]}
            got_warns = {w["rule"] for w in o["warnings"]} - mutate_rules
            if got_verdict != verdict:
                problems.append(f"verdict {got_verdict}, want {verdict}")
            if got_denies != ids(denies):
                problems.append(f"deny rules {sorted(got_denies)}, want {sorted(ids(denies))}")
            if got_warns != ids(warns):
                problems.append(f"warning rules {sorted(got_warns)}, want {sorted(ids(warns))}")
            want_exit = 0 if verdict == "allowed" else 1
            if run.returncode != want_exit:
                problems.append(f"exit {run.returncode}, want {want_exit}")
    if problems:
        failed += 1
        print(f"FAIL {name}: " + "; ".join(problems))
    else:
        passed += 1
print(f"upstream check: {passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
PY

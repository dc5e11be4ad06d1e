#!/usr/bin/env python3
"""Writes the benchmark's request bodies and the baseline's fixed reply.

Usage: gen_bodies.py OUTDIR [REPOSITORY_CONFIG_BYTES]

OUTDIR/small.json     a ~1.5 KB AdmissionReview (admission.k8s.io/v1): CREATE of a
                      realistic Kopia ReplicationSource, compact JSON as the API
                      server sends it.
OUTDIR/large.json     the same review whose spec.kopia.policyConfig.repositoryConfig
                      is a valid JSON object of REPOSITORY_CONFIG_BYTES UTF-8 bytes
                      (default 780000): the keys the mover reads, plus one unknown
                      block of many "x-N" entries whose values carry escapes and
                      non-ASCII text, so a checker has to walk every byte of it.
OUTDIR/mutate.json    a ~1.4 KB AdmissionReview: CREATE of a Kopia ReplicationDestination
                      without a source identity, for /mutate (the reply carries a
                      JSONPatch: the identity and a normalised restoreAsOf).
OUTDIR/response.json  the fixed AdmissionReview reply the baselines send to /validate,
OUTDIR/response-mutate.json                      ... and to /mutate.

Every body is parsed back before it is written, so a generator bug cannot feed
invalid JSON to the servers under test.
"""
import base64
import json
import sys

UID = "7d1c3a52-6a1e-4f7b-9a55-2f0d2c8e4b10"


def replication_source(repository_config):
    kopia = {
        "repository": "kopia-repository-s3",
        "copyMethod": "Snapshot",
        "volumeSnapshotClassName": "csi-rbd-snapclass",
        "compression": "zstd",
        "parallelism": 4,
        "maintenanceIntervalDays": 7,
        "cacheCapacity": "2Gi",
        "cacheStorageClassName": "fast-ssd",
        "retain": {"hourly": 24, "daily": 7, "weekly": 4, "monthly": 12, "yearly": 2},
        "moverPodLabels": {
            "app.kubernetes.io/name": "volsync-mover",
            "app.kubernetes.io/part-of": "postgres",
            "backup.example.com/tier": "gold",
        },
    }
    if repository_config is not None:
        kopia["policyConfig"] = {"repositoryConfig": repository_config}
    return {
        "apiVersion": "volsync.backube/v1alpha1",
        "kind": "ReplicationSource",
        "metadata": {
            "name": "postgres-data-backup",
            "namespace": "production",
            "labels": {
                "app.kubernetes.io/name": "postgres",
                "app.kubernetes.io/instance": "orders-db",
            },
        },
        "spec": {
            "sourcePVC": "postgres-data",
            "trigger": {"schedule": "15 */4 * * *"},
            "kopia": kopia,
        },
    }


def admission_review(obj):
    kind = obj["kind"]
    resource = kind.lower() + "s"
    return {
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": UID,
            "kind": {"group": "volsync.backube", "version": "v1alpha1", "kind": kind},
            "resource": {"group": "volsync.backube", "version": "v1alpha1", "resource": resource},
            "requestKind": {"group": "volsync.backube", "version": "v1alpha1", "kind": kind},
            "requestResource": {
                "group": "volsync.backube",
                "version": "v1alpha1",
                "resource": resource,
            },
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"]["namespace"],
            "operation": "CREATE",
            "userInfo": {
                "username": "system:serviceaccount:argocd:argocd-application-controller",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:argocd",
                    "system:authenticated",
                ],
            },
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {
                "kind": "CreateOptions",
                "apiVersion": "meta.k8s.io/v1",
                "fieldManager": "argocd-controller",
            },
        },
    }


# The padding block's values: mostly plain path lists (as in Kopia ignore
# rules), and every ESCAPE_EVERY-th value one with quotes, backslashes, control
# escapes, an escaped solidus, raw multi-byte UTF-8 and a non-BMP character, so
# the string decoder's slow paths run too without inflating the outer escaping
# far beyond what a real policy would have.
ESCAPE_EVERY = 8
ESCAPED_JSON = [  # JSON string literals, exactly as they appear in the policy
    r'"exclude \"*.tmp\" and C:\\backup\\cache\\ before upload"',
    r'"line one\nline two\ttabbed\r\n"',
    r'"https:\/\/kopia.example.com\/repo?prefix=db%2F"',
    # raw UTF-8 (2-, 3- and 4-byte sequences), then the same as \u escapes
    '"caf\u00e9 \u65e5\u672c \U0001f4be' + r' caf\u00e9 \u65e5\u672c \ud83d\udcbe"',
]
WORDS = ["var", "lib", "postgresql", "data", "base", "pg_wal", "archive", "tenant",
         "shard", "segment", "cache", "tmp", "logs", "exports", "reports", "uploads"]


def plain_value(n, length):
    """Deterministic path-list text of about `length` ASCII bytes."""
    out, seed = [], n * 2654435761 % 4294967296
    while sum(len(w) for w in out) < length:
        seed = (seed * 1103515245 + 12345) % 2147483648
        parts = [WORDS[(seed >> s) % len(WORDS)] for s in (3, 9, 15, 21)]
        out.append("/" + "/".join(parts) + "/%04d/*.%s " % (seed % 9973, WORDS[seed % 7]))
    return "".join(out).rstrip()


def padding_value(n):
    """The n-th value as JSON text."""
    if n % ESCAPE_EVERY == ESCAPE_EVERY - 1:
        literal = ESCAPED_JSON[(n // ESCAPE_EVERY) % len(ESCAPED_JSON)]
        return literal[:-1] + ' #%d"' % n
    return json.dumps(plain_value(n, 240))


def repository_config(target_bytes):
    """A JSON object of exactly target_bytes UTF-8 bytes (when target_bytes is
    large enough for the fixed part): known keys first, then x-N entries."""
    head = '{"enableActions":false,"uploadSpeed":52428800,"downloadSpeed":104857600,"x-padding":{'
    tail = "}}"
    parts = [head]
    size = len(head.encode()) + len(tail)
    n = 0
    while True:
        value = padding_value(n)
        entry = ("," if n else "") + '"x-%d":%s' % (n, value)
        entry_bytes = len(entry.encode())
        if size + entry_bytes > target_bytes:
            break
        parts.append(entry)
        size += entry_bytes
        n += 1
    filler = target_bytes - size
    if filler > 0:
        pad = ("," if n else "") + '"x-fill":""'
        if filler >= len(pad):
            parts.append(pad[:-1] + "f" * (filler - len(pad)) + '"')
        else:
            parts[0] = parts[0].replace("{", "{" + " " * filler, 1)
    parts.append(tail)
    text = "".join(parts)
    json.loads(text)  # must be valid JSON
    return text


def replication_destination():
    """A restore without a source identity: /mutate adds the backup identity
    (username, hostname) and normalises restoreAsOf, so the reply carries a
    JSONPatch."""
    return {
        "apiVersion": "volsync.backube/v1alpha1",
        "kind": "ReplicationDestination",
        "metadata": {
            "name": "postgres-data-restore",
            "namespace": "production",
            "labels": {
                "app.kubernetes.io/name": "postgres",
                "app.kubernetes.io/instance": "orders-db",
            },
        },
        "spec": {
            "trigger": {"manual": "restore-2024-01-02"},
            "kopia": {
                "repository": "kopia-repository-s3",
                "destinationPVC": "postgres-data",
                "copyMethod": "Direct",
                "restoreAsOf": "2024-01-02t05:04:05.250+02:00",
                "cacheCapacity": "2Gi",
                "moverPodLabels": {"app.kubernetes.io/name": "volsync-mover"},
            },
        },
    }


def compact(doc):
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def write(path, text):
    json.loads(text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return len(text.encode())


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: gen_bodies.py OUTDIR [REPOSITORY_CONFIG_BYTES]\n")
        return 2
    outdir = argv[1]
    config_bytes = int(argv[2]) if len(argv) == 3 else 780000
    rc = repository_config(config_bytes)
    assert len(rc.encode()) == config_bytes, (len(rc.encode()), config_bytes)
    small = write(outdir + "/small.json", compact(admission_review(replication_source(None))))
    large = write(outdir + "/large.json", compact(admission_review(replication_source(rc))))
    response = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": UID, "allowed": True},
    }
    write(outdir + "/response.json", compact(response))
    mutate = write(outdir + "/mutate.json", compact(admission_review(replication_destination())))
    # The mutate baseline's reply: the same shape and size as the webhook's
    # (a JSONPatch adding the identity and normalising restoreAsOf).
    patch = [
        {"op": "add", "path": "/spec/kopia/username", "value": "postgres-data-restore"},
        {"op": "add", "path": "/spec/kopia/hostname", "value": "production"},
        {"op": "replace", "path": "/spec/kopia/restoreAsOf", "value": "2024-01-02T03:04:05.250Z"},
        {"op": "add", "path": "/metadata/annotations",
         "value": {"kopia-webhook.io/identity": "postgres-data-restore@production"}},
    ]
    response["response"]["patchType"] = "JSONPatch"
    response["response"]["patch"] = base64.b64encode(compact(patch).encode()).decode()
    response["response"]["warnings"] = [
        'spec.kopia.restoreAsOf: rewritten from "2024-01-02t05:04:05.250+02:00" to '
        '"2024-01-02T03:04:05.250Z": the mover compares timestamps as text in UTC'
    ]
    write(outdir + "/response-mutate.json", compact(response))
    print("small.json %d bytes; mutate.json %d bytes; large.json %d bytes (repositoryConfig %d bytes)"
          % (small, mutate, large, config_bytes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

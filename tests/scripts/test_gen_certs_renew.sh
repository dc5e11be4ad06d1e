#!/usr/bin/env bash
# `gen-certs --renew` against a fake Kubernetes API server
# (tests/scripts/fake_kube_api.py, HTTPS with certificates made by gen-certs
# itself): renews an expiring certificate (the new one verifies against the
# CA, covers the service names, and the PUT carried the resourceVersion it
# read), leaves a valid one alone (no PUT), and exits 1 with a message naming
# the Secret on 401, 403, 404 (missing CA Secret), 409 (stale
# resourceVersion), 500, a hanging server (within the timeout) and an API
# server that does not verify against --api-ca-file. Never prints key
# material, and refuses oversized and truncated answers. Environment: KW_BINARY, KW_SOURCE_DIR. Exit 0 pass, 1 fail, 77
# skipped (no python3).
set -uo pipefail

src=${KW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${KW_BINARY:-$src/build/kopia-webhook}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed" >&2; exit 77; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

fails=0
passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

NS=kopia-webhook
SVC=kopia-webhook

# The webhook's CA and two serving pairs signed by it: one expiring within
# the renewal window (10 days), one valid for a year.
"$bin" gen-certs --service $SVC --namespace $NS --out "$tmp/wh" --days 10 >/dev/null || { echo "FAIL: gen-certs" >&2; exit 1; }
cp "$tmp/wh/tls.crt" "$tmp/expiring.crt"
cp "$tmp/wh/tls.key" "$tmp/expiring.key"
"$bin" gen-certs --service $SVC --namespace $NS --out "$tmp/wh" --force >/dev/null || { echo "FAIL: gen-certs --force" >&2; exit 1; }
# The fake API server's own CA and certificate, for 127.0.0.1.
"$bin" gen-certs --service api --namespace test --host 127.0.0.1 --out "$tmp/api" >/dev/null || { echo "FAIL: gen-certs api" >&2; exit 1; }
printf 'sa-token-%s\n' "$RANDOM$RANDOM" >"$tmp/token"

mkdir "$tmp/state"
# seed TLS_CRT TLS_KEY [no-ca]: the two Secrets, resourceVersion 100.
seed() {
    python3 - "$tmp" "$1" "$2" "${3:-}" "${SEED_CA:-$tmp/wh/ca.crt}" <<'PYTHON'
import base64, json, sys
tmp, crt, key, no_ca, ca_file = sys.argv[1:6]
b = lambda p: base64.b64encode(open(p, "rb").read()).decode()
def secret(name, data, rv):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque" if "ca.key" in data else "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": "kopia-webhook", "resourceVersion": rv,
                         "labels": {"app.kubernetes.io/name": "kopia-webhook"}},
            "data": data}
s = {}
if not no_ca:
    s["kopia-webhook/kopia-webhook-ca"] = secret("kopia-webhook-ca",
        {"ca.crt": b(ca_file), "ca.key": b(f"{tmp}/wh/ca.key")}, "7")
tls = {"ca.crt": b(ca_file)}
if crt != "-":
    tls["tls.crt"] = b(crt)
if key != "-":
    tls["tls.key"] = b(key)
s["kopia-webhook/kopia-webhook-tls"] = secret("kopia-webhook-tls", tls, "100")
json.dump(s, open(f"{tmp}/state/secrets.json", "w"))
PYTHON
    : >"$tmp/state/requests.log"
    rm -f "$tmp/state/mode"
}
# field NAME: data[NAME] of the serving Secret, decoded, on stdout.
field() {
    python3 -c 'import base64,json,sys; s=json.load(open(sys.argv[1]))["kopia-webhook/kopia-webhook-tls"]; sys.stdout.write(base64.b64decode(s["data"][sys.argv[2]]).decode())' \
        "$tmp/state/secrets.json" "$1"
}

seed "$tmp/expiring.crt" "$tmp/expiring.key"
python3 "$src/tests/scripts/fake_kube_api.py" --cert "$tmp/api/tls.crt" --key "$tmp/api/tls.key" \
    --token-file "$tmp/token" --state "$tmp/state" 2>"$tmp/server.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/state/port" ] && break; sleep 0.1; done
[ -s "$tmp/state/port" ] || { echo "FAIL: the fake API server did not start:" >&2; cat "$tmp/server.err" >&2; exit 1; }
URL="https://127.0.0.1:$(cat "$tmp/state/port")"

# renew [FLAGS...]: one run; exit status in $rc, its stderr in $tmp/err.
renew() {
    "$bin" gen-certs --renew --service $SVC --namespace $NS --api-server "$URL" \
        --token-file "$tmp/token" --api-ca-file "$tmp/api/ca.crt" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if grep -q -e 'PRIVATE KEY' -e "$(sed -n 2p "$tmp/wh/ca.key")" -e "$(head -c 12 "$tmp/token")" "$tmp/out" "$tmp/err"; then
        bad "$CASE: key material or the token in the output"
    fi
}
expect() { # expect CASE RC PATTERN...
    local c=$1 want=$2
    shift 2
    [ "$rc" = "$want" ] && ok || { bad "$c: exit $rc, want $want"; cat "$tmp/err" >&2; }
    for p in "$@"; do
        grep -qF -- "$p" "$tmp/err" && ok || { bad "$c: no '$p' in:"; cat "$tmp/err" >&2; }
    done
}
puts() { grep -c '^PUT ' "$tmp/state/requests.log"; }

# 1. An expiring certificate is renewed.
CASE=expiring; renew
expect $CASE 0 '"outcome":"renewed"' 'kopia-webhook/kopia-webhook-tls' 'within the 30 days before expiry'
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "$CASE: not exactly one log line"
grep -qx "PUT /api/v1/namespaces/$NS/secrets/kopia-webhook-tls rv=100" "$tmp/state/requests.log" && ok ||
    { bad "$CASE: no PUT carrying resourceVersion 100:"; cat "$tmp/state/requests.log" >&2; }
field tls.crt >"$tmp/new.crt"
field tls.key >"$tmp/new.key"
field ca.crt >"$tmp/new-ca.crt"
cmp -s "$tmp/new.crt" "$tmp/expiring.crt" && bad "$CASE: tls.crt unchanged" || ok
cmp -s "$tmp/new.key" "$tmp/expiring.key" && bad "$CASE: tls.key unchanged (a new key is expected)" || ok
cmp -s "$tmp/new-ca.crt" "$tmp/wh/ca.crt" && ok || bad "$CASE: ca.crt is not the CA's"
if command -v openssl >/dev/null; then
    for host in $SVC.$NS.svc $SVC.$NS.svc.cluster.local; do
        openssl verify -CAfile "$tmp/wh/ca.crt" -verify_hostname "$host" -purpose sslserver \
            "$tmp/new.crt" >/dev/null 2>&1 && ok || bad "$CASE: the new tls.crt does not verify for $host"
    done
    end=$(openssl x509 -in "$tmp/new.crt" -noout -enddate | cut -d= -f2)
    left=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
    [ "$left" -ge 363 ] && [ "$left" -le 365 ] && ok || bad "$CASE: new tls.crt valid for $left days"
fi
# ... and the next run leaves it alone: covered, signed by the CA, matching.
CASE=after-renewal; renew
expect $CASE 0 '"outcome":"valid"' 'still valid until'
[ "$(puts)" = 1 ] && ok || bad "$CASE: the second run wrote the Secret again"

# 2. A valid certificate is left alone: no PUT.
seed "$tmp/wh/tls.crt" "$tmp/wh/tls.key"
CASE=valid; renew
expect $CASE 0 '"outcome":"valid"' 'tls.crt is still valid until' 'not renewed'
[ "$(puts)" = 0 ] && ok || bad "$CASE: a PUT for a valid certificate"
# ... unless the window is wider than what is left.
CASE=window; renew --renew-before 400 --days 500
expect $CASE 0 '"outcome":"renewed"' 'within the 400 days'

# 3. A Secret without tls.crt and tls.key (a first install) is filled in.
seed - -
CASE=empty; renew
expect $CASE 0 '"outcome":"renewed"' 'tls.crt is missing'

# 3b. While a CA is replaced, ca.crt holds the new CA (the key's) and then
# the old one: a serving certificate is still judged and issued by the first,
# and the bundle is kept whole in the serving Secret.
"$bin" gen-certs --service old --namespace old --out "$tmp/old" >/dev/null
cat "$tmp/wh/ca.crt" "$tmp/old/ca.crt" >"$tmp/bundle.crt"
SEED_CA="$tmp/bundle.crt" seed "$tmp/wh/tls.crt" "$tmp/wh/tls.key"
CASE=bundle-valid; renew
expect $CASE 0 '"outcome":"valid"'
SEED_CA="$tmp/bundle.crt" seed "$tmp/expiring.crt" "$tmp/expiring.key"
CASE=bundle-renew; renew
expect $CASE 0 '"outcome":"renewed"'
field ca.crt | cmp -s - "$tmp/bundle.crt" && ok || bad "$CASE: ca.crt is not the whole bundle"

# 4. RBAC missing: 403 names the Secret, the status and the API's message.
seed "$tmp/expiring.crt" "$tmp/expiring.key"
echo "GET 403" >"$tmp/state/mode"
CASE=forbidden; renew
expect $CASE 1 'GET Secret kopia-webhook/kopia-webhook-ca: HTTP 403' 'is forbidden: User' 'cannot get resource' 'Role'
echo "PUT 403" >"$tmp/state/mode"
CASE=forbidden-put; renew
expect $CASE 1 'PUT Secret kopia-webhook/kopia-webhook-tls: HTTP 403' 'cannot put resource'

# 5. A stale resourceVersion (another writer between GET and PUT): 409.
seed "$tmp/expiring.crt" "$tmp/expiring.key"
echo "GET race" >"$tmp/state/mode"
CASE=conflict; renew
expect $CASE 1 'PUT Secret kopia-webhook/kopia-webhook-tls: HTTP 409' 'the object has been modified' 'the next run retries'
field tls.crt | cmp -s - "$tmp/expiring.crt" && ok || bad "$CASE: the Secret changed despite the conflict"
rm -f "$tmp/state/mode"
CASE=conflict-retry; renew
expect $CASE 0 '"outcome":"renewed"'

# 6. The CA Secret is missing: 404.
seed "$tmp/expiring.crt" "$tmp/expiring.key" no-ca
CASE=no-ca; renew
expect $CASE 1 'GET Secret kopia-webhook/kopia-webhook-ca: HTTP 404' 'kopia-webhook-ca\" not found'
[ "$(puts)" = 0 ] && ok || bad "$CASE: a PUT without a CA"

# 7. A server error, and a refused token.
seed "$tmp/expiring.crt" "$tmp/expiring.key"
echo "* 500" >"$tmp/state/mode"
CASE=server-error; renew
expect $CASE 1 'HTTP 500' 'injected 500'
rm -f "$tmp/state/mode"
printf 'wrong-token\n' >"$tmp/token2"
"$bin" gen-certs --renew --service $SVC --namespace $NS --api-server "$URL" \
    --token-file "$tmp/token2" --api-ca-file "$tmp/api/ca.crt" 2>"$tmp/err"
rc=$?
expect token 1 'HTTP 401' 'refused the token'
# The files it reads are bounded: a token over 64 KiB, a CA file over 1 MiB.
head -c 65537 /dev/zero | tr '\0' 'a' >"$tmp/token-big"
"$bin" gen-certs --renew --service $SVC --namespace $NS --api-server "$URL" \
    --token-file "$tmp/token-big" --api-ca-file "$tmp/api/ca.crt" 2>"$tmp/err"
rc=$?
expect token-too-large 1 'larger than 65536 bytes'
head -c 1048577 /dev/zero | tr '\0' 'a' >"$tmp/ca-big"
"$bin" gen-certs --renew --service $SVC --namespace $NS --api-server "$URL" \
    --token-file "$tmp/token" --api-ca-file "$tmp/ca-big" 2>"$tmp/err"
rc=$?
expect api-ca-too-large 1 'larger than 1048576 bytes'

# 7b. Answers the client must not trust: oversized, cut short.
echo "GET huge" >"$tmp/state/mode"
CASE=huge; renew
expect $CASE 1 'GET Secret kopia-webhook/kopia-webhook-ca: response larger than' 'at most 1048576'
echo "GET truncate" >"$tmp/state/mode"
CASE=truncated; renew
expect $CASE 1 'GET Secret kopia-webhook/kopia-webhook-ca: truncated response: 16 of 1000 body bytes'
rm -f "$tmp/state/mode"

# 8. A hanging server: exit 1 within the timeout.
echo "* hang" >"$tmp/state/mode"
CASE=hang
start=$(date +%s)
renew --timeout 2
elapsed=$(($(date +%s) - start))
expect $CASE 1 'timed out'
[ "$elapsed" -le 6 ] && ok || bad "$CASE: took ${elapsed}s with --timeout 2"
rm -f "$tmp/state/mode"

# 9. The API server's certificate does not chain to --api-ca-file.
: >"$tmp/state/requests.log"
CASE=wrong-ca; renew --api-ca-file "$tmp/wh/ca.crt"
expect $CASE 1 'TLS verification of the API server failed'
[ "$(wc -l <"$tmp/state/requests.log")" = 0 ] && ok || bad "$CASE: a request reached an unverified server"
# ... nor may it stand for another host name.
CASE=wrong-host; renew --api-server "https://localhost:$(cat "$tmp/state/port")"
expect $CASE 1 'TLS verification of the API server failed'

# 10. Flags.
"$bin" gen-certs --renew --service $SVC --namespace $NS --out "$tmp/x" 2>"$tmp/err"; rc=$?
expect renew-out 2 'do not apply to --renew'
"$bin" gen-certs --renew --service $SVC --namespace 'a/b' --api-server "$URL" 2>"$tmp/err"; rc=$?
expect renew-bad-ns 2 '--namespace: Invalid value'
"$bin" gen-certs --renew --service $SVC --namespace $NS --renew-before 30 --days 30 --api-server "$URL" 2>"$tmp/err"; rc=$?
expect renew-window 2 '--renew-before must be fewer days than --days'
env -u KUBERNETES_SERVICE_HOST "$bin" gen-certs --renew --service $SVC --namespace $NS 2>"$tmp/err"; rc=$?
expect renew-not-in-cluster 2 'KUBERNETES_SERVICE_HOST'
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$(cat "$tmp/state/port") \
    "$bin" gen-certs --renew --service $SVC --namespace $NS --token-file "$tmp/token" \
    --api-ca-file "$tmp/api/ca.crt" 2>"$tmp/err"; rc=$?
expect renew-in-cluster-url 0 '"outcome":'
"$bin" gen-certs --help >"$tmp/err"; rc=$?
for f in --renew --secret --ca-secret --renew-before --api-server --token-file --api-ca-file --timeout; do
    grep -q -- "  $f" "$tmp/err" && ok || bad "gen-certs --help does not list $f"
done

echo "gen-certs --renew: $passes passed, $fails failed"
[ "$fails" = 0 ]

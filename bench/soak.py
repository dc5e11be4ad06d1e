#!/usr/bin/env python3
"""Soak: a bounded mixed load against the real server, its memory sampled.

Usage: soak.py BINARY OUTDIR   (normally through `make soak` / bench/soak.sh)

Starts `BINARY serve` on free ports of 127.0.0.1 with fresh certificates and,
for SOAK_SECONDS (default 180), runs these clients at a bounded rate, each on
its own thread, every socket with a timeout:

  valid        allowed and denied reviews on /validate, reviews on /mutate,
               v1 and v1beta1, on keep-alive connections; every answer is
               checked (status 200, uid echoed, allowed as expected)
  probe        one small allowed review per second on a new connection: the
               served latency of a legitimate client while the rest goes on
  invalid      bad JSON and a wrong apiVersion (expected 400)
  large        an ~800 KB repositoryConfig review (expected 200, allowed)
  huge         a ~3 MiB ConfigMap UPDATE (object and oldObject of ~1.5 MiB
               each: the API server's request limit; expected 200, allowed)
  amplify      ~2 MiB of `{}` items in the object (hostile: any answer or a
               close is accepted, the cost is what is measured)
  overlimit    a Content-Length over --max-body-bytes (expected 413)
  slowloris    SOAK_SLOWLORIS connections sending one byte every 2 s: half of
               a header, half (slowloris-keepalive) of the next request line
               after one answered review (hostile: held until the server
               closes them, at most 60 s each)
  idleflood    SOAK_IDLE TLS connections opened and left idle for 15 s, then
               closed, every 30 s (hostile)

SOAK_SKIP (e.g. "amplify,huge") leaves classes out, to see what each costs.

Every SOAK_SAMPLE_MS (250) the server's VmRSS and VmHWM, and its open
connections and in-flight requests from /metrics, go to OUTDIR/soak.csv.
After the load it waits SOAK_SETTLE seconds (5) and samples the RSS again.
Prints a summary and exits 1 when the server died, a valid review was
answered wrongly, or peak RSS (VmHWM) passed SOAK_LIMIT_MIB (128, the
Deployment's memory limit); 0 otherwise.
"""
import collections
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_bodies  # noqa: E402  (bench/gen_bodies.py: the benchmark's reviews)

SECONDS = float(os.environ.get("SOAK_SECONDS", "180"))
SAMPLE_MS = int(os.environ.get("SOAK_SAMPLE_MS", "250"))
LIMIT_MIB = float(os.environ.get("SOAK_LIMIT_MIB", "128"))
SETTLE = float(os.environ.get("SOAK_SETTLE", "5"))
N_SLOWLORIS = int(os.environ.get("SOAK_SLOWLORIS", "20"))
N_IDLE = int(os.environ.get("SOAK_IDLE", "300"))
SERVER_ARGS = os.environ.get("SOAK_SERVER_ARGS", "").split()
SKIP = set(filter(None, os.environ.get("SOAK_SKIP", "").split(",")))
TIMEOUT = 15.0  # every client socket operation

stop = threading.Event()
lock = threading.Lock()
counts = collections.defaultdict(collections.Counter)  # class -> outcome -> n
wrong = []  # descriptions of valid reviews answered wrongly (first few)
n_wrong = 0
probe_ms = []


def record(cls, outcome):
    with lock:
        counts[cls][str(outcome)] += 1


def record_wrong(what):
    global n_wrong
    with lock:
        n_wrong += 1
        if len(wrong) < 10:
            wrong.append(what)


# --- Bodies -------------------------------------------------------------------


def review(uid, kind, api_version="admission.k8s.io/v1", obj=None, operation="CREATE"):
    core = kind in ("ConfigMap",)
    group, version = ("", "v1") if core else ("volsync.backube", "v1alpha1")
    if obj is None:
        if core:
            obj = {"apiVersion": "v1", "kind": kind,
                   "metadata": {"name": "obj", "namespace": "team-a"}, "data": {"a": "b"}}
        else:  # a ReplicationSource with no mover: denied
            obj = {"apiVersion": "volsync.backube/v1alpha1", "kind": kind,
                   "metadata": {"name": "obj", "namespace": "team-a"},
                   "spec": {"sourcePVC": "data"}}
    return json.dumps({
        "apiVersion": api_version, "kind": "AdmissionReview",
        "request": {
            "uid": uid, "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": "x"},
            "namespace": "team-a", "name": "obj", "operation": operation,
            "userInfo": {"username": "soak"}, "dryRun": False, "object": obj,
        },
    }, separators=(",", ":")).encode()


def kopia_review(uid, repository_config_bytes):
    rc = gen_bodies.repository_config(repository_config_bytes)
    doc = gen_bodies.admission_review(gen_bodies.replication_source(rc))
    doc["request"]["uid"] = uid
    return gen_bodies.compact(doc).encode()


def update_review(uid, half):
    """A ConfigMap UPDATE whose object and oldObject each carry `half` bytes of
    data: the largest review the API server sends (its request limit is 3 MiB,
    etcd's object limit 1.5 MiB, and an UPDATE carries both objects)."""
    def cm(value):
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "obj", "namespace": "team-a"}, "data": {"blob": value}}
    doc = json.loads(review(uid, "ConfigMap", operation="UPDATE", obj=cm("a" * half)))
    doc["request"]["oldObject"] = cm("b" * half)
    return json.dumps(doc, separators=(",", ":")).encode()


def amplification_body(size):
    items = "{}," * (size // 3)
    return ('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{'
            '"uid":"amp","kind":{"group":"","version":"v1","kind":"ConfigMap"},'
            '"operation":"CREATE","object":{"apiVersion":"v1","kind":"ConfigMap",'
            '"metadata":{"name":"a"},"data":{},"x":[' + items + '{}]}}}').encode()


# --- Clients ------------------------------------------------------------------


class Target:
    def __init__(self, port, health_port, ca):
        self.port = port
        self.health_port = health_port
        self.ctx = ssl.create_default_context(cafile=ca)

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                           timeout=TIMEOUT)

    def tls_socket(self):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        try:
            return self.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        except Exception:
            raw.close()
            raise


def post(conn, path, body):
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def check_review(cls, status, data, uid, allowed):
    """A valid review: 200, the uid echoed, `allowed` as expected (None: any)."""
    try:
        resp = json.loads(data)["response"] if status == 200 else None
    except (ValueError, KeyError, TypeError):
        resp = None
    ok = resp is not None and resp.get("uid") == uid and (
        allowed is None or resp.get("allowed") is allowed)
    if not ok:
        record_wrong("%s: status %s uid %s: %.200r" % (cls, status, uid, data))
    return ok


def paced(interval, fn):
    """Calls fn() every `interval` seconds until the end of the load."""
    nxt = time.monotonic()
    while not stop.is_set():
        fn()
        nxt += interval
        stop.wait(max(0.0, nxt - time.monotonic()))


def valid_client(t, worker, interval):
    conn = [None]
    seq = [0]
    cases = [("/validate", "ConfigMap", "admission.k8s.io/v1", True),
             ("/validate", "ReplicationSource", "admission.k8s.io/v1", False),
             ("/mutate", "ConfigMap", "admission.k8s.io/v1", None),
             ("/validate", "ConfigMap", "admission.k8s.io/v1beta1", True)]

    def one():
        seq[0] += 1
        path, kind, api, allowed = cases[seq[0] % len(cases)]
        uid = "soak-%d-%d" % (worker, seq[0])
        cls = "valid-" + ("allowed" if allowed else "denied" if allowed is False else "mutate")
        try:
            if conn[0] is None:
                conn[0] = t.conn()
            status, data = post(conn[0], path, review(uid, kind, api))
            record(cls, status if check_review(cls, status, data, uid, allowed) else "wrong")
        except Exception as e:  # a valid review must be answered
            record(cls, "error")
            record_wrong("%s: %s: %s" % (cls, uid, type(e).__name__))
            if conn[0] is not None:
                conn[0].close()
            conn[0] = None

    paced(interval, one)


def one_shot(t, cls, path, body, expect_status=None, allowed=None, uid=None):
    """One request on a new connection. With expect_status, any other answer
    of a valid class counts as wrong."""
    c = t.conn()
    try:
        status, data = post(c, path, body)
        if uid is not None:
            ok = check_review(cls, status, data, uid, allowed)
            record(cls, status if ok else "wrong")
        else:
            record(cls, status)
        return status
    except (ConnectionError, http.client.RemoteDisconnected, ssl.SSLError) as e:
        record(cls, "close")
        if uid is not None:
            record_wrong("%s: %s" % (cls, type(e).__name__))
    except socket.timeout:
        record(cls, "timeout")
        if uid is not None:
            record_wrong("%s: timeout" % cls)
    except Exception as e:
        record(cls, "error:" + type(e).__name__)
        if uid is not None:
            record_wrong("%s: %s" % (cls, type(e).__name__))
    finally:
        c.close()
    return None


def probe_client(t):
    seq = [0]

    def one():
        seq[0] += 1
        uid = "probe-%d" % seq[0]
        t0 = time.monotonic()
        one_shot(t, "probe", "/validate", review(uid, "ConfigMap"), allowed=True, uid=uid)
        with lock:
            probe_ms.append((time.monotonic() - t0) * 1e3)

    paced(1.0, one)


def invalid_client(t):
    bodies = [b"this is not json", b'{"apiVersion":', review("bad-1", "ConfigMap", "v1"),
              review("bad-2", "ConfigMap", "admission.k8s.io/v2")]
    seq = [0]

    def one():
        seq[0] += 1
        status = one_shot(t, "invalid", "/validate", bodies[seq[0] % len(bodies)])
        if status == 200:
            record_wrong("invalid body answered 200")

    paced(0.25, one)


def overlimit_client(t, max_body):
    def one():
        try:
            s = t.tls_socket()
        except Exception:
            record("overlimit", "connect-error")
            return
        try:
            s.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{"
                      % (max_body + 1))
            data = s.recv(4096)
            m = re.match(rb"HTTP/1\.1 (\d+)", data or b"")
            record("overlimit", m.group(1).decode() if m else "close")
        except socket.timeout:
            record("overlimit", "timeout")
        except Exception:
            record("overlimit", "close")
        finally:
            s.close()

    paced(5.0, one)


def read_response(s):
    """Reads one response with a Content-Length from socket `s`; its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    want = int(m.group(1)) if m else 0
    while len(body) < want:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return int(head.split()[1])


def slowloris_client(t, idx, keepalive):
    """Sends one byte every 2 s until the server closes (at most 60 s): of a
    header, or with `keepalive`, of the next request line after one answered
    review on the same connection."""
    cls = "slowloris-keepalive" if keepalive else "slowloris"
    first = review("slow-%d" % idx, "ConfigMap")
    while not stop.is_set():
        try:
            s = t.tls_socket()
        except Exception:
            record(cls, "connect-error")
            stop.wait(2)
            continue
        t0 = time.monotonic()
        outcome = "held-60s"
        try:
            if keepalive:
                s.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                          b"application/json\r\nContent-Length: %d\r\n\r\n" % len(first) + first)
                if read_response(s) != 200:
                    record_wrong("%s: the first review was not answered 200" % cls)
                s.sendall(b"P")
            else:
                s.sendall(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            s.settimeout(2.0)
            while not stop.is_set() and time.monotonic() - t0 < 60:
                try:
                    if s.recv(4096) == b"":
                        outcome = "closed"
                        break
                    outcome = "answered"
                    break
                except socket.timeout:
                    s.sendall(b"a")
        except Exception:
            outcome = "closed"
        finally:
            s.close()
        if stop.is_set() and outcome == "held-60s":
            outcome = "held-to-end"
        held = time.monotonic() - t0
        record(cls, "%s(%s)" % (outcome, "<15s" if held < 15 else ">=15s"))


def idle_flood_client(t):
    while not stop.is_set():
        socks = []
        for _ in range(N_IDLE):
            if stop.is_set():
                break
            try:
                socks.append(t.tls_socket())
            except Exception:
                record("idleflood", "connect-error")
        record("idleflood", "opened:%d" % (len(socks) // 50 * 50))
        stop.wait(15)
        for s in socks:
            s.close()
        stop.wait(15)


def amplify_client(t, body):
    paced(10.0, lambda: one_shot(t, "amplify", "/validate", body))


# --- Server and sampling ------------------------------------------------------


def proc_kib(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def scrape(health_port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", health_port, timeout=2)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
    except Exception:
        return "", ""
    vals = {}
    # A family's series summed over their labels (in-flight requests are
    # counted per webhook).
    for name in ("kopia_webhook_open_connections", "kopia_webhook_in_flight_requests"):
        found = re.findall(r"^%s(?:\{[^}]*\})? (\S+)$" % name, text, re.M)
        vals[name] = "%g" % sum(float(v) for v in found) if found else ""
    return vals["kopia_webhook_open_connections"], vals["kopia_webhook_in_flight_requests"]


def start_server(binary, work):
    certs = os.path.join(work, "certs")
    subprocess.run([binary, "gen-certs", "--service", "soak", "--namespace", "soak", "--host",
                    "127.0.0.1", "--out", certs], check=True, stdout=subprocess.DEVNULL)
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0",
         "--tls-cert", os.path.join(certs, "tls.crt"), "--tls-key", os.path.join(certs, "tls.key"),
         "--drain-seconds", "0"] + SERVER_ARGS,
        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = time.monotonic() + 15
    ports = {}
    while time.monotonic() < deadline and len(ports) < 2:
        with open(os.path.join(work, "server.log")) as f:
            for line in f:
                m = re.search(r'"listener":"(webhook|health)","address":"127\.0\.0\.1:(\d+)"', line)
                if m:
                    ports[m.group(1)] = int(m.group(2))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if len(ports) < 2:
        proc.kill()
        sys.exit("soak: the server did not start; log: %s" % os.path.join(work, "server.log"))
    return proc, ports["webhook"], ports["health"], os.path.join(certs, "ca.crt")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, outdir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="kw-soak-")
    proc, port, hport, ca = start_server(binary, work)

    def interrupted(signum, frame):  # never leave the server running
        proc.kill()
        print("soak: interrupted (signal %d); server stopped" % signum, flush=True)
        os._exit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    t = Target(port, hport, ca)
    max_body = 7340032
    for i, a in enumerate(SERVER_ARGS):
        if a == "--max-body-bytes" and i + 1 < len(SERVER_ARGS):
            max_body = int(SERVER_ARGS[i + 1])

    print("soak: server pid %d, webhook 127.0.0.1:%d, %ds of load" % (proc.pid, port, SECONDS),
          flush=True)
    large = kopia_review("soak-large", 780000)
    huge = update_review("soak-huge", 3 * 1024 * 1024 // 2 - 4096)
    amplify = amplification_body(2 * 1024 * 1024)

    # Idle: after a few requests of each valid kind, before the load.
    for i in range(3):
        one_shot(t, "warmup", "/validate", review("w%d" % i, "ConfigMap"), allowed=True,
                 uid="w%d" % i)
    time.sleep(1)
    idle_rss = proc_kib(proc.pid, "VmRSS")

    csv_path = os.path.join(outdir, "soak.csv")
    csv = open(csv_path, "w")
    csv.write("seconds,rss_kib,hwm_kib,open_connections,in_flight\n")
    t_start = time.monotonic()
    sampling = threading.Event()
    peak = {"rss": 0, "hwm": 0}

    def sampler():
        nxt = time.monotonic()
        last_scrape, conns, infl = 0.0, "", ""
        while not sampling.is_set():
            now = time.monotonic()
            rss, hwm = proc_kib(proc.pid, "VmRSS"), proc_kib(proc.pid, "VmHWM")
            if now - last_scrape >= 1.0:
                conns, infl = scrape(hport)
                last_scrape = now
            if rss >= 0:
                peak["rss"] = max(peak["rss"], rss)
                peak["hwm"] = max(peak["hwm"], hwm)
                csv.write("%.2f,%d,%d,%s,%s\n" % (now - t_start, rss, hwm, conns, infl))
                csv.flush()
            nxt += SAMPLE_MS / 1000.0
            sampling.wait(max(0.0, nxt - time.monotonic()))

    threads = [threading.Thread(target=sampler, daemon=True)]
    classes = {
        "valid": [(valid_client, (t, w, 0.05)) for w in range(3)],
        "probe": [(probe_client, (t,))],
        "invalid": [(invalid_client, (t,))],
        "large": [(paced, (0.5, lambda: one_shot(t, "large", "/validate", large, allowed=True,
                                                 uid="soak-large")))],
        "huge": [(paced, (3.0, lambda: one_shot(t, "huge", "/validate", huge, allowed=True,
                                                uid="soak-huge")))],
        "amplify": [(amplify_client, (t, amplify))],
        "overlimit": [(overlimit_client, (t, max_body))],
        "idleflood": [(idle_flood_client, (t,))],
        "slowloris": [(slowloris_client, (t, i, i % 2 == 1)) for i in range(N_SLOWLORIS)],
    }
    unknown = SKIP - set(classes)
    if unknown:
        sys.exit("soak: SOAK_SKIP: unknown classes %s" % ",".join(sorted(unknown)))
    load = [threading.Thread(target=fn, args=args, daemon=True)
            for name, runs in classes.items() if name not in SKIP for fn, args in runs]
    for th in threads + load:
        th.start()

    died = False
    end = t_start + SECONDS
    while time.monotonic() < end:
        if proc.poll() is not None:
            died = True
            break
        time.sleep(0.25)
    stop.set()
    for th in load:
        th.join(timeout=TIMEOUT + 5)
    stuck = sum(th.is_alive() for th in load)
    if not died and proc.poll() is None:
        time.sleep(SETTLE)
    end_rss = proc_kib(proc.pid, "VmRSS")
    sampling.set()
    threads[0].join(timeout=5)
    csv.close()
    died = died or proc.poll() is not None
    exit_code = proc.poll()
    if not died:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    # --- Summary --------------------------------------------------------------
    print("\nrequests by class and outcome (status, or close/timeout/error):")
    total = 0
    for cls in sorted(counts):
        row = ", ".join("%s: %d" % kv for kv in sorted(counts[cls].items()))
        total += sum(counts[cls].values())
        print("  %-20s %s" % (cls, row))
    print("  total %d in %.0f s" % (total, SECONDS))
    if probe_ms:
        p = sorted(probe_ms)
        print("legitimate review on a new connection (probe): p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (p[len(p) // 2], p[min(len(p) - 1, int(len(p) * 0.99))], p[-1]))
    limit_kib = LIMIT_MIB * 1024
    print("RSS: idle %d KiB, peak %d KiB (VmHWM %d KiB), end %d KiB (%.0f s after the load);"
          " limit %d KiB" % (idle_rss, peak["rss"], peak["hwm"], end_rss, SETTLE, limit_kib))
    print("samples: %s" % csv_path)
    failures = []
    if died:
        failures.append("the server died (exit status %s); log: %s/server.log" % (exit_code, work))
    if n_wrong:
        failures.append("%d valid reviews answered wrongly, e.g.:\n    %s"
                        % (n_wrong, "\n    ".join(wrong)))
    if peak["hwm"] > limit_kib:
        failures.append("peak RSS %d KiB passed the limit %d KiB" % (peak["hwm"], limit_kib))
    if stuck:
        failures.append("%d client threads did not stop" % stuck)
    for f in failures:
        print("soak: FAIL: " + f)
    if not failures:
        print("soak: PASS")
        subprocess.run(["rm", "-rf", work])
    sys.stdout.flush()
    os._exit(1 if failures else 0)  # daemon threads may still hold sockets


if __name__ == "__main__":
    main()

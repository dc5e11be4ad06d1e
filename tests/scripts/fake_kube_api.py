#!/usr/bin/env python3
"""A fake Kubernetes API server for the tests of `gen-certs --renew`.

Serves GET and PUT of /api/v1/namespaces/NS/secrets/NAME over HTTPS from
STATE/secrets.json ({"NS/NAME": Secret}), re-read on every request and
rewritten after every accepted PUT. Checks the bearer token, honours
metadata.resourceVersion (409 on a stale one, a new one on every write) and
logs each request to STATE/requests.log as "METHOD PATH rv=RV". GET answers
are chunked, the others carry Content-Length. STATE/mode, when present,
holds "METHOD ACTION" lines (METHOD or *): ACTION is an HTTP status to
answer with (403, 404, 500, ...), "hang" (answer nothing for a minute),
"huge" (a 2 MiB body), "truncate" (close before the announced body ends) or
"race" (after a GET of a Secret, change its resourceVersion, as another
writer would). Writes the port it listens on to STATE/port.

usage: fake_kube_api.py --cert F --key F --token-file F --state DIR
"""
import argparse
import json
import os
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = re.compile(r"^/api/v1/namespaces/([a-z0-9-]+)/secrets/([a-z0-9.-]+)$")
REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
           500: "InternalError"}
lock = threading.Lock()


def status_body(code, message):
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": REASONS.get(code, "Unknown"), "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def state_path(self, name):
        return os.path.join(self.server.state, name)

    def load(self):
        with open(self.state_path("secrets.json")) as f:
            return json.load(f)

    def save(self, secrets):
        tmp = self.state_path(".secrets.json.tmp")
        with open(tmp, "w") as f:
            json.dump(secrets, f, indent=1)
        os.replace(tmp, self.state_path("secrets.json"))

    def actions(self):
        try:
            with open(self.state_path("mode")) as f:
                lines = [l.split() for l in f if l.strip()]
        except FileNotFoundError:
            return []
        return [a for m, a in lines if m in ("*", self.command)]

    def record(self, rv):
        with open(self.state_path("requests.log"), "a") as f:
            f.write(f"{self.command} {self.path} rv={rv}\n")

    def send_json(self, code, obj, chunked=False):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 500):
                part = data[i:i + 500]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        self.close_connection = True

    def handle_one(self, body):
        m = PATH.match(self.path)
        rv = "-"
        if body is not None:
            try:
                rv = json.loads(body)["metadata"]["resourceVersion"]
            except (ValueError, KeyError, TypeError):
                rv = "?"
        self.record(rv)
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self.send_json(401, status_body(401, "Unauthorized"))
        acts = self.actions()
        if "hang" in acts:
            time.sleep(60)
            return
        if "huge" in acts:
            return self.send_json(200, {"kind": "Secret", "pad": "x" * (2 * 1024 * 1024)})
        if "truncate" in acts:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'{"kind":"Secret"')
            self.close_connection = True
            return
        for a in acts:
            if a.isdigit():
                code = int(a)
                name = m.group(2) if m else self.path
                return self.send_json(code, status_body(
                    code, f'secrets "{name}" is forbidden: User "system:serviceaccount:test" '
                          f'cannot {self.command.lower()} resource "secrets"' if code == 403
                    else f"injected {code} for {name}"))
        if not m:
            return self.send_json(404, status_body(404, "the server could not find the requested resource"))
        key = f"{m.group(1)}/{m.group(2)}"
        with lock:
            secrets = self.load()
            cur = secrets.get(key)
            if cur is None:
                return self.send_json(404, status_body(404, f'secrets "{m.group(2)}" not found'))
            if self.command == "GET":
                self.send_json(200, cur, chunked=True)
                if "race" in acts:
                    cur["metadata"]["resourceVersion"] = str(int(cur["metadata"]["resourceVersion"]) + 1)
                    self.save(secrets)
                return
            new = json.loads(body)
            if new["metadata"].get("resourceVersion") != cur["metadata"]["resourceVersion"]:
                return self.send_json(409, status_body(
                    409, f'Operation cannot be fulfilled on secrets "{m.group(2)}": the object '
                         "has been modified; please apply your changes to the latest version "
                         "and try again"))
            new["metadata"]["resourceVersion"] = str(int(cur["metadata"]["resourceVersion"]) + 1)
            secrets[key] = new
            self.save(secrets)
            self.send_json(200, new)

    def do_GET(self):
        self.handle_one(None)

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.handle_one(self.rfile.read(n).decode())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--state", required=True)
    a = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = a.state
    with open(a.token_file) as f:
        srv.token = f.read().strip()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(a.state, ".port"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(os.path.join(a.state, ".port"), os.path.join(a.state, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()

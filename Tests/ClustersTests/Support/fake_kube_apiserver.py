#!/usr/bin/env python3
"""A fake Kubernetes API server for Bursar's cluster tests (Python 3 standard library only).

It serves the few resources Bursar uses with the real API's shapes and behaviour:
  /apis/sparkoperator.k8s.io/v1beta2/namespaces/{ns}/sparkapplications[/{name}]   POST, GET, DELETE
  /apis/sparkoperator.k8s.io/v1beta2/sparkapplications                         LIST (labelSelector, limit,
                                      continue) and WATCH (watch=1, resourceVersion, timeoutSeconds, bookmarks)
  /api/v1/namespaces/{ns}/configmaps[/{name}]                                    POST, GET, PUT
Objects carry apiVersion, kind and metadata (name, namespace, uid, resourceVersion, creationTimestamp);
errors are `Status` objects (NotFound 404, AlreadyExists 409, Conflict 409, Unauthorized 401, BadRequest 400,
MethodNotAllowed 405). A PUT whose metadata.resourceVersion is stale fails with the real Conflict message.
A PUT without a resourceVersion is accepted, as the real API accepts it, and counted, so a test can assert the
client never sends one.

Test hooks (not part of Kubernetes), under /_test/:
  GET  /_test/state                  every request seen (method, path, resourceVersion sent), counters, objects
  POST /_test/conflict-next-puts     {"count": n, "data": {...}}: before each of the next n PUTs to a ConfigMap,
                                     act as a concurrent writer: merge "data" into it and bump its resourceVersion
  POST /_test/bump-configmap         {"namespace", "name", "data"}: the same, once, now
  POST /_test/set-status             {"namespace", "name", "state", ["errorMessage"]}: what the Spark operator
                                     would write (terminationTime set for COMPLETED and FAILED)
  POST /_test/compact                forget every watch event so far (etcd compaction): a watch from an older
                                     resourceVersion gets a 410 Expired ERROR event
  POST /_test/slow-creates           {"count": n, "seconds": s}: the next n SparkApplication creates are made,
                                     then answered only after s seconds (a client's timeout: created, unanswered)
  ANY  /_test/echo                   answers with the method, headers and body it received

Start: fake_kube_apiserver.py --dir DIR [--token T] [--tls] [--client-ca] [--certs CERTDIR]. With --tls it writes
a CA, a server certificate for 127.0.0.1 and a client certificate into CERTDIR (default DIR; openssl CLI), or reuses
those already there (--make-certs writes them and exits); --client-ca makes the TLS handshake
require a client certificate signed by that CA. It listens on a free loopback port and prints one JSON line
({"port": ..., "ca": ..., "client_cert": ..., "client_key": ...}) once it accepts connections. It exits when its
standard input closes.
"""
import argparse
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ALL_SPARK = "/apis/sparkoperator.k8s.io/v1beta2/sparkapplications"
SPARK = re.compile(r"^/apis/sparkoperator\.k8s\.io/v1beta2/namespaces/([^/]+)/sparkapplications(?:/([^/]+))?$")
CONFIGMAPS = re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps(?:/([^/]+))?$")
NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class Store:
    """Objects by (resource, namespace, name), one resourceVersion counter for all, as etcd's revision."""

    def __init__(self):
        self.lock = threading.Lock()
        self.objects = {}
        self.revision = 1000
        self.requests = []
        self.unconditional_puts = 0
        self.conflicts = 0
        self.pending_concurrent_writes = []
        self.slow_creates = 0
        self.slow_seconds = 0.0
        # What /readyz answers: a real API server fails it while etcd or an informer is not ready.
        self.ready = True
        # SparkApplication changes for watches: (revision, type, object copy); `compacted` is the oldest revision
        # a watch may still resume from.
        self.events = []
        self.compacted = 0
        self.changed = threading.Condition(self.lock)

    def spark_event(self, kind, obj):
        """Called under the lock after a SparkApplication changed."""
        self.events.append((int(obj["metadata"]["resourceVersion"]), kind, json.loads(json.dumps(obj))))
        self.changed.notify_all()

    def next_version(self):
        self.revision += 1
        return str(self.revision)


STORE = Store()


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return code, body


def plural_kind(resource):
    return {"sparkapplications": ("SparkApplication", "sparkoperator.k8s.io"),
            "configmaps": ("ConfigMap", "")}[resource]


def not_found(resource, name):
    return status(404, "NotFound", f'{resource} "{name}" not found',
                  {"name": name, "group": plural_kind(resource)[1], "kind": resource})


def concurrent_write(obj, data):
    """What another writer (kubectl, a second Bursar) would do: change the map and bump its version."""
    obj.setdefault("data", {}).update(data)
    obj["metadata"]["resourceVersion"] = STORE.next_version()


def create(resource, namespace, body, api_version):
    kind, group = plural_kind(resource)
    if not isinstance(body, dict):
        return status(400, "BadRequest", "the body of the request was in an unknown format")
    if body.get("kind") != kind:
        return status(400, "BadRequest", f'the kind of the provided object "{body.get("kind")}" is not {kind}')
    meta = body.setdefault("metadata", {})
    if meta.get("namespace", namespace) != namespace:
        return status(400, "BadRequest",
                      "the namespace of the provided object does not match the namespace sent on the request")
    name = meta.get("name")
    if not name and meta.get("generateName"):
        name = meta["generateName"] + uuid.uuid4().hex[:5]
    if not name or not NAME.match(name):
        return status(422, "Invalid", f'{kind} "{name or ""}" is invalid: metadata.name: Invalid value')
    if meta.get("resourceVersion"):
        return status(500, "InternalError", "resourceVersion should not be set on objects to be created")
    key = (resource, namespace, name)
    with STORE.lock:
        if key in STORE.objects:
            return status(409, "AlreadyExists", f'{resource}{"." + group if group else ""} "{name}" already exists',
                          {"name": name, "group": group, "kind": resource})
        meta.update({"name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
                     "resourceVersion": STORE.next_version(),
                     "creationTimestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")})
        body["apiVersion"] = api_version
        STORE.objects[key] = body
        if resource == "sparkapplications":
            STORE.spark_event("ADDED", body)
        return 201, body


def selected(obj, selector):
    """Label selectors as the API server reads them: key, !key, key=value, key==value, key!=value, comma = and."""
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def replace(resource, namespace, name, body):
    kind, group = plural_kind(resource)
    if not isinstance(body, dict) or body.get("kind") != kind:
        return status(400, "BadRequest", f"the body is not a {kind}")
    meta = body.setdefault("metadata", {})
    if meta.get("name") != name:
        return status(400, "BadRequest", "the name of the object does not match the name on the URL")
    key = (resource, namespace, name)
    with STORE.lock:
        current = STORE.objects.get(key)
        if current is None:
            return not_found(resource, name)
        if STORE.pending_concurrent_writes:
            concurrent_write(current, STORE.pending_concurrent_writes.pop(0))
        sent = meta.get("resourceVersion")
        if not sent:
            # The real API accepts an unconditional update (last writer wins); Bursar must never send one.
            STORE.unconditional_puts += 1
        elif sent != current["metadata"]["resourceVersion"]:
            STORE.conflicts += 1
            return status(409, "Conflict",
                          f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
                          "please apply your changes to the latest version and try again",
                          {"name": name, "kind": resource})
        for field in ("uid", "creationTimestamp"):
            meta[field] = current["metadata"][field]
        meta["namespace"] = namespace
        meta["resourceVersion"] = STORE.next_version()
        body["apiVersion"] = current["apiVersion"]
        STORE.objects[key] = body
        return 200, body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real server; every reply carries Content-Length
    token = None

    def log_message(self, *args):
        pass

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()  # deferred by Server.get_request to this thread
        super().setup()

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def reply_text(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authenticated(self):
        if self.token is None:
            return True
        if self.headers.get("Authorization") == f"Bearer {self.token}":
            return True
        # A verified client certificate authenticates as well, as on a real API server.
        return bool(getattr(self.connection, "getpeercert", lambda: None)())

    def list_or_watch(self, query):
        selector = query.get("labelSelector", [None])[0]
        if query.get("watch", [""])[0] in ("1", "true"):
            return self.watch(selector, query.get("resourceVersion", ["0"])[0] or "0",
                              float(query.get("timeoutSeconds", ["60"])[0]), query.get("allowWatchBookmarks", [""])[0] == "true")
        limit = int(query.get("limit", ["0"])[0] or 0)
        start = int(query.get("continue", ["0"])[0] or 0)
        with STORE.lock:
            items = sorted((v for k, v in STORE.objects.items() if k[0] == "sparkapplications" and selected(v, selector)),
                           key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
            revision = str(STORE.revision) if not start else query.get("rv", [str(STORE.revision)])[0]
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": revision}
        if limit and start + limit < len(items):
            meta["continue"] = str(start + limit)
        self.reply(200, {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplicationList", "metadata": meta,
                         "items": page})

    def watch(self, selector, since, timeout, bookmarks):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(event):
            data = (json.dumps(event) + "\n").encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        deadline = time.time() + timeout
        position = int(since)
        try:
            with STORE.lock:
                if position == 0:
                    position = STORE.revision
                    initial = [o for k, o in STORE.objects.items() if k[0] == "sparkapplications" and selected(o, selector)]
                else:
                    initial = None
                    if position < STORE.compacted:
                        expired = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                   "message": f"too old resource version: {since} ({STORE.compacted})", "reason": "Expired",
                                   "code": 410}
            if initial is not None:
                for obj in initial:
                    send({"type": "ADDED", "object": obj})
            elif position < STORE.compacted:
                send({"type": "ERROR", "object": expired})
                self.wfile.write(b"0\r\n\r\n")
                return
            while time.time() < deadline:
                with STORE.lock:
                    due = [e for e in STORE.events if e[0] > position]
                    if not due:
                        STORE.changed.wait(timeout=min(1.0, max(0.0, deadline - time.time())))
                        due = [e for e in STORE.events if e[0] > position]
                    revision = STORE.revision
                for revision_of, kind, obj in due:
                    position = revision_of
                    if selected(obj, selector):
                        send({"type": kind, "object": obj})
                if not due and bookmarks:
                    send({"type": "BOOKMARK", "object": {"kind": "SparkApplication", "apiVersion": "sparkoperator.k8s.io/v1beta2",
                                                         "metadata": {"resourceVersion": str(revision)}}})
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def handle_any(self, method):
        raw = self.read_body()
        path = self.path.split("?", 1)[0]
        query = parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}
        if path.startswith("/_test/"):
            return self.test_hook(method, path, raw)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "not json"
        with STORE.lock:
            sent_version = body.get("metadata", {}).get("resourceVersion") if isinstance(body, dict) else None
            STORE.requests.append({"method": method, "path": path, "resourceVersion": sent_version,
                                   "authorization": self.headers.get("Authorization") is not None})
        if not self.authenticated():
            return self.reply(*status(401, "Unauthorized", "Unauthorized"))
        if path == "/readyz" and method == "GET":
            with STORE.lock:
                ready = STORE.ready
            if ready:
                return self.reply_text(200, "ok")
            return self.reply_text(500, "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n")
        if path == ALL_SPARK and method == "GET":
            return self.list_or_watch(query)
        for pattern, resource, api_version in ((SPARK, "sparkapplications", "sparkoperator.k8s.io/v1beta2"),
                                               (CONFIGMAPS, "configmaps", "v1")):
            match = pattern.match(path)
            if not match:
                continue
            namespace, name = match.group(1), match.group(2)
            if method == "POST" and name is None:
                answer = create(resource, namespace, body, api_version)
                delay = 0.0
                with STORE.lock:
                    if resource == "sparkapplications" and STORE.slow_creates > 0:
                        STORE.slow_creates -= 1
                        delay = STORE.slow_seconds
                if delay:
                    time.sleep(delay)
                return self.reply(*answer)
            if method == "GET" and name is not None:
                with STORE.lock:
                    obj = STORE.objects.get((resource, namespace, name))
                return self.reply(200, obj) if obj else self.reply(*not_found(resource, name))
            if method == "DELETE" and name is not None and resource == "sparkapplications":
                with STORE.lock:
                    obj = STORE.objects.pop((resource, namespace, name), None)
                    if obj is not None:
                        obj["metadata"]["resourceVersion"] = STORE.next_version()
                        STORE.spark_event("DELETED", obj)
                if obj is None:
                    return self.reply(*not_found(resource, name))
                return self.reply(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                        "details": {"name": name, "group": "sparkoperator.k8s.io", "kind": resource}})
            if method == "PUT" and name is not None and resource == "configmaps":
                return self.reply(*replace(resource, namespace, name, body))
            return self.reply(*status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))
        return self.reply(*status(404, "NotFound", "the server could not find the requested resource"))

    def test_hook(self, method, path, raw):
        args = json.loads(raw) if raw else {}
        if path == "/_test/echo":
            return self.reply(200, {"method": method, "headers": dict(self.headers.items()),
                                    "body": raw.decode("utf-8", "replace")})
        with STORE.lock:
            if path == "/_test/state":
                return self.reply(200, {
                    "requests": STORE.requests, "unconditional_puts": STORE.unconditional_puts,
                    "conflicts": STORE.conflicts,
                    "objects": [{"resource": k[0], "namespace": k[1], "name": k[2], "object": v}
                                for k, v in STORE.objects.items()]})
            if path == "/_test/conflict-next-puts":
                STORE.pending_concurrent_writes = [args.get("data", {})] * int(args["count"])
                return self.reply(200, {})
            if path == "/_test/bump-configmap":
                obj = STORE.objects.get(("configmaps", args["namespace"], args["name"]))
                if obj is None:
                    return self.reply(*not_found("configmaps", args["name"]))
                concurrent_write(obj, args.get("data", {}))
                return self.reply(200, obj)
            if path == "/_test/slow-creates":
                STORE.slow_creates = int(args["count"])
                STORE.slow_seconds = float(args["seconds"])
                return self.reply(200, {})
            if path == "/_test/set-ready":
                STORE.ready = bool(args["ready"])
                return self.reply(200, {})
            if path == "/_test/set-status":
                obj = STORE.objects.get(("sparkapplications", args["namespace"], args["name"]))
                if obj is None:
                    return self.reply(*not_found("sparkapplications", args["name"]))
                obj["status"] = {"applicationState": {"state": args["state"]},
                                 "sparkApplicationId": "spark-" + obj["metadata"]["uid"][:8]}
                if args.get("errorMessage"):
                    obj["status"]["applicationState"]["errorMessage"] = args["errorMessage"]
                if args["state"] in ("COMPLETED", "FAILED"):
                    obj["status"]["terminationTime"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                obj["metadata"]["resourceVersion"] = STORE.next_version()
                STORE.spark_event("MODIFIED", obj)
                return self.reply(200, obj)
            if path == "/_test/compact":
                STORE.compacted = STORE.revision
                STORE.events = []
                return self.reply(200, {"compacted": STORE.revision})
        return self.reply(*status(404, "NotFound", "no such test hook"))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    context = None

    def get_request(self):
        sock, address = super().get_request()
        if self.context is not None:
            # Handshake in the handler's thread (on first read), so a client that fails it cannot stall accept().
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        # Failed handshakes and clients hanging up are what some tests are about, not news.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, OSError)):
            super().handle_error(request, client_address)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certificates(folder):
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA.
    Kept when already there, so the tests of one run can share them (RSA key generation is slow on a busy machine)."""
    p = lambda name: os.path.join(folder, name)
    if all(os.path.exists(p(name)) for name in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")):
        return p
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fake-kube-ca",
            "-keyout", p("ca.key"), "-out", p("ca.crt"))
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    with open(p("client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for who in ("server", "client"):
        subject = "/CN=kube-apiserver" if who == "server" else "/O=system:masters/CN=bursar"
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", p(f"{who}.key"),
                "-out", p(f"{who}.csr"))
        openssl("x509", "-req", "-in", p(f"{who}.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", p(f"{who}.ext"), "-out", p(f"{who}.crt"))
    return p


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--token")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--client-ca", action="store_true")
    parser.add_argument("--certs", help="folder for the certificates (default: --dir); reused when present")
    parser.add_argument("--make-certs", action="store_true", help="only write the certificates, then exit")
    options = parser.parse_args()
    if options.make_certs:
        make_certificates(options.certs or options.dir)
        return
    # Started from a test runner's worker thread, the process may inherit blocked signals.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    Handler.token = options.token
    server = Server(("127.0.0.1", 0), Handler)
    ready = {"port": server.server_address[1]}
    if options.tls:
        p = make_certificates(options.certs or options.dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(p("server.crt"), p("server.key"))
        if options.client_ca:
            context.load_verify_locations(p("ca.crt"))
            context.verify_mode = ssl.CERT_REQUIRED
        server.context = context
        ready.update({"ca": p("ca.crt"), "client_cert": p("client.crt"), "client_key": p("client.key")})
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(json.dumps(ready), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A loopback package index for bench/scale.sh (Python 3 standard library only).

Holds N deterministic projects (proj-0001 ... proj-NNNN), each with the releases
1.0 ... 1.9, 1.10 and the pre-release 2.0rc1, one sdist per release
(proj_0001-1.10.tar.gz, a real gzipped tar of a few KiB). Serves:

  /simple/                     PEP 503 root (HTML)
  /simple/<name>/              PEP 691 JSON when Accept prefers
                               application/vnd.pypi.simple.v1+json, else PEP 503 HTML
  /pypi/<name>/json            PyPI's JSON API (what nvchecker's `pypi` source reads)
  /files/<file>                the sdists
  /files/<file>.asc            detached signatures found in --sig-dir (404 otherwise)
  /stats                       {"requests", "bytes", "not_modified", ...} as JSON
  /stats/reset                 zeroes the counters (not counted itself)

Every page and file has a strong ETag; a matching If-None-Match gets 304 with no body.
HTTP/1.1 keep-alive; every response goes out in one write with TCP_NODELAY, so reused
connections are not slowed by Nagle/delayed-ACK. Binds to 127.0.0.1 only.

Pages and files are built once at startup, so the server spends its time serving, not
generating (the point is to time the clients, not this server).

Usage:
  index_server.py serve --projects 1000 --port-file PATH [--sig-dir DIR] [--port 0]
  index_server.py dump --projects 1000 --first 1 --count 100 --out DIR
      (writes the newest sdist of projects first..first+count-1, for signing)
"""

import argparse
import gzip
import hashlib
import html
import io
import json
import os
import random
import socket
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSIONS = [f"1.{i}" for i in range(10)] + ["1.10", "2.0rc1"]
NEWEST_FINAL = "1.10"
MTIME = 1_700_000_000  # fixed: deterministic tarballs
LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"


def project_name(i):
    return f"proj-{i:04d}"


def dist_name(i):
    return f"proj_{i:04d}"


def sdist_filename(i, version):
    return f"{dist_name(i)}-{version}.tar.gz"


def make_sdist(i, version):
    """A small, deterministic, valid .tar.gz: PKG-INFO plus some incompressible data."""
    rng = random.Random(f"{i}/{version}")
    payload = rng.randbytes(1024 + (i * 37 + len(version) * 101) % 3072)
    root = f"{dist_name(i)}-{version}"
    pkg_info = (
        f"Metadata-Version: 2.1\nName: {project_name(i)}\nVersion: {version}\n"
    ).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in ((f"{root}/PKG-INFO", pkg_info), (f"{root}/data.bin", payload)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=1, mtime=MTIME)


def etag_of(body):
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class Store:
    """Every response body, built once."""

    def __init__(self, projects, sig_dir):
        self.sig_dir = sig_dir
        self.files = {}  # filename -> (body, etag)
        self.simple_html = {}  # normalized name -> (body, etag)
        self.simple_json = {}
        self.api_json = {}
        root_links = []
        for i in range(1, projects + 1):
            name = project_name(i)
            entries = []
            for n, version in enumerate(VERSIONS):
                fname = sdist_filename(i, version)
                body = make_sdist(i, version)
                self.files[fname] = (body, etag_of(body))
                upload = f"2023-{1 + n % 12:02d}-{1 + i % 28:02d}T12:00:00.000000Z"
                entries.append((version, fname, hashlib.sha256(body).hexdigest(), len(body), upload))
            links = "".join(
                f'    <a href="../../files/{f}#sha256={h}">{html.escape(f)}</a><br/>\n'
                for _, f, h, _, _ in entries
            )
            page = (
                "<!DOCTYPE html>\n<html>\n  <head>\n"
                '    <meta name="pypi:repository-version" content="1.1">\n'
                f"    <title>Links for {name}</title>\n  </head>\n  <body>\n"
                f"    <h1>Links for {name}</h1>\n{links}  </body>\n</html>\n"
            ).encode()
            self.simple_html[name] = (page, etag_of(page))
            doc = {
                "meta": {"api-version": "1.1"},
                "name": name,
                "versions": [v for v, *_ in entries],
                "files": [
                    {
                        "filename": f,
                        "url": f"../../files/{f}",
                        "hashes": {"sha256": h},
                        "size": size,
                        "upload-time": up,
                        "yanked": False,
                    }
                    for _, f, h, size, up in entries
                ],
            }
            body = json.dumps(doc, separators=(",", ":")).encode()
            self.simple_json[name] = (body, etag_of(body))
            api = {
                "info": {
                    "name": name,
                    "version": NEWEST_FINAL,
                    "summary": f"benchmark project {i}",
                    "project_url": f"/project/{name}/",
                },
                "releases": {
                    v: [
                        {
                            "filename": f,
                            "url": f"/files/{f}",
                            "digests": {"sha256": h},
                            "size": size,
                            "packagetype": "sdist",
                            "upload_time_iso_8601": up,
                            "yanked": False,
                            "yanked_reason": None,
                        }
                    ]
                    for v, f, h, size, up in entries
                },
                "urls": [],
            }
            body = json.dumps(api, separators=(",", ":")).encode()
            self.api_json[name] = (body, etag_of(body))
            root_links.append(f'<a href="{name}/">{name}</a>\n')
        page = ("<!DOCTYPE html>\n<html><body>\n" + "".join(root_links) + "</body></html>\n").encode()
        self.root = (page, etag_of(page))
        self.sigs = {}
        self.sig_lock = threading.Lock()

    def signature(self, fname):
        """A .asc file from sig_dir, read once (the script may add them after startup)."""
        with self.sig_lock:
            if fname in self.sigs:
                return self.sigs[fname]
        if not self.sig_dir or "/" in fname or fname.startswith("."):
            return None
        try:
            with open(os.path.join(self.sig_dir, fname), "rb") as f:
                body = f.read()
        except OSError:
            return None
        with self.sig_lock:
            self.sigs[fname] = (body, etag_of(body))
        return self.sigs[fname]


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests = 0
        self.bytes = 0
        self.header_bytes = 0
        self.not_modified = 0
        self.connections = 0
        self.by_kind = {}

    def add(self, kind, status, body_len, head_len):
        with self.lock:
            self.requests += 1
            self.bytes += body_len
            self.header_bytes += head_len
            if status == 304:
                self.not_modified += 1
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def connection(self):
        with self.lock:
            self.connections += 1

    def snapshot(self):
        with self.lock:
            return {
                "requests": self.requests,
                "bytes": self.bytes,
                "header_bytes": self.header_bytes,
                "not_modified": self.not_modified,
                "connections": self.connections,
                "by_kind": dict(self.by_kind),
            }


def normalize(name):
    out, sep = [], False
    for c in name:
        if c in "-_.":
            sep = True
        else:
            if sep and out:
                out.append("-")
            sep = False
            out.append(c.lower())
    return "".join(out)


def prefers_json(accept):
    """True when the Accept header ranks PEP 691 JSON above every HTML type."""
    best_json, best_html = 0.0, 0.0
    for part in (accept or "").split(","):
        fields = [p.strip() for p in part.split(";")]
        mtype, q = fields[0].lower(), 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if mtype == JSON_TYPE or mtype == "application/vnd.pypi.simple.latest+json":
            best_json = max(best_json, q)
        elif mtype in (HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html", "*/*"):
            best_html = max(best_html, q)
    return best_json > 0 and best_json >= best_html


def etag_matches(header, etag):
    if not header:
        return False
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-index/1"
    store = None  # set in main
    counters = None

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counters.connection()

    def log_message(self, *args):
        pass

    def respond(self, kind, status, body, ctype, etag=None, count=True):
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}.get(status, "")
        head = [f"HTTP/1.1 {status} {reason}", f"Server: {self.server_version}"]
        if etag:
            head.append(f"ETag: {etag}")
            head.append(f"Last-Modified: {LAST_MODIFIED}")
        if kind == "simple":
            head.append("Vary: Accept")
        if status == 304:
            body = b""
        else:
            head.append(f"Content-Type: {ctype}")
        head.append(f"Content-Length: {len(body)}")
        if self.close_connection:
            head.append("Connection: close")
        head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        send_body = body if self.command != "HEAD" else b""
        self.wfile.write(head + send_body)
        if count:
            self.counters.add(kind, status, len(send_body), len(head))

    def serve(self, kind, entry, ctype):
        if entry is None:
            return self.respond(kind, 404, b"not found\n", "text/plain")
        body, etag = entry
        if etag_matches(self.headers.get("If-None-Match"), etag):
            return self.respond(kind, 304, b"", ctype, etag)
        return self.respond(kind, 200, body, ctype, etag)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        st = self.store
        if path == "/stats":
            body = json.dumps(self.counters.snapshot()).encode()
            return self.respond("stats", 200, body, "application/json", count=False)
        if path == "/stats/reset":
            self.counters.reset()
            return self.respond("stats", 200, b"{}", "application/json", count=False)
        parts = [p for p in path.split("/") if p]
        if parts == ["simple"]:
            return self.serve("simple-root", st.root, "text/html; charset=utf-8")
        if len(parts) == 2 and parts[0] == "simple":
            name = normalize(parts[1])
            if not path.endswith("/"):
                # PEP 503: redirect to the canonical URL with a trailing slash.
                body = b""
                head = (
                    f"HTTP/1.1 301 Moved Permanently\r\nLocation: /simple/{name}/\r\n"
                    f"Content-Length: 0\r\n\r\n"
                ).encode()
                self.wfile.write(head)
                self.counters.add("redirect", 301, 0, len(head))
                return None
            if prefers_json(self.headers.get("Accept")):
                return self.serve("simple", st.simple_json.get(name), JSON_TYPE)
            return self.serve("simple", st.simple_html.get(name), "text/html; charset=utf-8")
        if len(parts) == 3 and parts[0] == "pypi" and parts[2] == "json":
            return self.serve("api", st.api_json.get(normalize(parts[1])), "application/json")
        if len(parts) == 2 and parts[0] == "files":
            fname = parts[1]
            if fname.endswith(".asc"):
                return self.serve("sig", st.signature(fname), "application/pgp-signature")
            return self.serve("file", st.files.get(fname), "application/gzip")
        return self.respond("other", 404, b"not found\n", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--projects", type=int, default=1000)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file", required=True)
    s.add_argument("--sig-dir")
    d = sub.add_parser("dump")
    d.add_argument("--first", type=int, default=1)
    d.add_argument("--count", type=int, default=100)
    d.add_argument("--out", required=True)
    args = ap.parse_args()

    if args.cmd == "dump":
        os.makedirs(args.out, exist_ok=True)
        for i in range(args.first, args.first + args.count):
            fname = sdist_filename(i, NEWEST_FINAL)
            with open(os.path.join(args.out, fname), "wb") as f:
                f.write(make_sdist(i, NEWEST_FINAL))
        return 0

    Handler.store = Store(args.projects, args.sig_dir)
    Handler.counters = Counters()
    httpd = Server(("127.0.0.1", args.port), Handler)
    port = httpd.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)  # the script waits for this file
    print(f"index_server: {args.projects} projects on http://127.0.0.1:{port}/", file=sys.stderr)
    try:
        httpd.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

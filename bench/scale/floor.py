#!/usr/bin/env python3
"""The server's floor: fetch the N simple pages over C reused HTTP/1.1 connections.

  floor.py PORT [--projects 1000] [--connections 20] [--accept json|html]

Prints "<seconds> <pages> <bytes>". No parsing, no files: what any client must at least
spend waiting on bench/index_server.py for the same pages (standard library only).
"""

import argparse
import http.client
import queue
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--accept", choices=["json", "html"], default="json")
    a = ap.parse_args()
    accept = "application/vnd.pypi.simple.v1+json" if a.accept == "json" else "text/html"
    work = queue.Queue()
    for i in range(1, a.projects + 1):
        work.put(f"/simple/proj-{i:04d}/")
    got = []
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", a.port)
        n = size = 0
        while True:
            try:
                path = work.get_nowait()
            except queue.Empty:
                break
            conn.request("GET", path, headers={"Accept": accept})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise SystemExit(f"{path}: HTTP {r.status}")
            n += 1
            size += len(body)
        conn.close()
        with lock:
            got.append((n, size))

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(a.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    print(f"{elapsed:.3f} {sum(n for n, _ in got)} {sum(s for _, s in got)}")


if __name__ == "__main__":
    main()

"""WSGI app for uwsgi-edge's end-to-end tests (served by real uWSGI workers).

Routes: /  /env  /echo  /bytes/N  /stream/N  /sleep/MS  /status/CODE  /chunked  /node
        /gzip/N  /gzipnoise/N  /gzipcl  /gzipce  /sse (uWSGI-Encoding: gzip variants)
        /timed/N (N bytes; prints "timed N done at T" when the worker is done with them)
        /events (a plain text/event-stream)  /unbuffered (X-Accel-Buffering: no, slow pieces)
"""
import sys
import json
import os
import time


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    parts = path.strip("/").split("/")
    head, arg = parts[0], (parts[1] if len(parts) > 1 else "")

    def reply(body, status="200 OK", ctype="text/plain", extra=()):
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))] + list(extra))
        return [body]

    if path == "/":
        return reply(b"Hello World\n")
    if head == "env":
        env = {k: v for k, v in environ.items() if isinstance(v, str)}
        return reply(json.dumps(env, sort_keys=True).encode(), ctype="application/json")
    if head == "echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        if environ.get("QUERY_STRING") == "count":
            total = 0
            while total < length:
                piece = stream.read(min(1 << 20, length - total))
                if not piece:
                    break
                total += len(piece)
            return reply(str(total).encode())
        return reply(stream.read(length) if length else b"", ctype="application/octet-stream")
    if head == "bytes":
        n = int(arg or 0)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])

        def pieces(left=n):
            block = b"x" * (1 << 20)
            while left > 0:
                k = min(left, len(block))
                left -= k
                yield block[:k]
        return pieces()
    if head == "stream":
        n = int(arg or 0)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def pieces(left=n):
            while left > 0:
                k = min(left, 16384)
                left -= k
                yield b"y" * k
        return pieces()
    if head in ("paced", "pacedcl"):
        # 4 pieces of N bytes ("a"*N, "b"*N, ...), 30 ms apart: the edge reads each on its own
        n = int(arg or 0)
        headers = [("Content-Type", "application/octet-stream")]
        if head == "pacedcl":
            headers.append(("Content-Length", str(4 * n)))
        start_response("200 OK", headers)

        def paced():
            for letter in b"abcd":
                yield bytes([letter]) * n
                time.sleep(0.03)
        return paced()
    if head == "sleep":
        time.sleep(int(arg or 0) / 1000.0)
        return reply(b"slept")
    if head == "status":
        code = int(arg or 200)
        start_response("%d STATUS" % code, [("Content-Length", "0")])
        return [b""]
    if head == "chunked":
        # the app frames its own body: the edge must not chunk it a second time
        start_response("200 OK", [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
        return [b"5\r\nhello\r\n", b"6\r\n world\r\n", b"0\r\n\r\n"]
    if head == "gzip":
        # gzipped by the edge with http-auto-gzip: marked, sizeless, not encoded
        line = b"the quick brown fox jumps over the lazy dog\n"
        n = int(arg or 1024)
        body = (line * (n // len(line) + 1))[:n]
        start_response("200 OK", [("Content-Type", "text/plain"), ("uWSGI-Encoding", "gzip")])
        return [body]
    if head == "gzipnoise":
        # incompressible, marked for gzip: what the compressor puts out is as big as its input
        n = int(arg or 0)
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("uWSGI-Encoding", "gzip")])
        return (os.urandom(min(65536, n - at)) for at in range(0, n, 65536))
    if head == "gzipcl":
        return reply(b"hello", extra=[("uWSGI-Encoding", "gzip")])
    if head == "gzipce":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "identity"),
                                  ("uWSGI-Encoding", "gzip")])
        return [b"already encoded"]
    if head == "sse":
        start_response("200 OK", [("Content-Type", "text/event-stream"), ("uWSGI-Encoding", "gzip")])

        def events():
            for i in range(3):
                yield ("data: event %d\n\n" % i).encode()
                time.sleep(0.4)
        return events()
    if head == "timed":
        n = int(arg or 0)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])
        return Timed(n)
    if head in ("events", "unbuffered"):
        headers = [("Content-Type", "text/event-stream")] if head == "events" else [
            ("Content-Type", "text/plain"), ("X-Accel-Buffering", "no")]
        start_response("200 OK", headers)

        def slow():
            for i in range(3):
                yield ("data: event %d\n\n" % i).encode()
                time.sleep(0.4)
        return slow()
    if head == "node":
        return reply(os.environ.get("NODE", "?").encode())
    return reply(b"not found\n", status="404 Not Found")


class Timed:
    """N bytes in 1 MiB pieces; uWSGI calls close() once it wrote them all to the edge."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        left, block = self.n, b"t" * (1 << 20)
        while left > 0:
            k = min(left, len(block))
            left -= k
            yield block[:k]

    def close(self):
        print("timed %d done at %.3f" % (self.n, time.time()), file=sys.stderr, flush=True)

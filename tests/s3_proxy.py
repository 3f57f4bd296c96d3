"""An S3 fault on loopback: a proxy in front of the test SeaweedFS that forwards every request as it came (the
``Host`` header too, so the client's signature still holds) and, for the PUTs it picks, lets the server apply
the write and then closes the connection without a word — the answer lost, as a network cut or a proxy
timeout loses it. The client sees the connection closed and retries (botocore), or gives up.

``S3Proxy(server.endpoint, pattern=r"/articles/", share=0.3, seed=1)``: PUTs whose path matches ``pattern``,
a ``share`` of the keys (chosen by ``seed``), each key's first applied PUT only; ``dropped`` lists their paths.
"""
from __future__ import annotations

import hashlib
import http.client
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect"}


class S3Proxy:
    def __init__(self, upstream: str, *, pattern: str = r"/articles/", share: float = 1.0, seed: int = 0):
        self.upstream = urlsplit(upstream)
        self.pattern = re.compile(pattern)
        self.share = share
        self.seed = seed
        self.dropped: list[str] = []
        self._done: set[str] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                if self.command == "PUT" and 200 <= answer.status < 300 and proxy._drops(self.path):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)      # applied; the answer never comes
                    return
                self.send_response_only(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="s3-proxy", daemon=True)

    def _drops(self, path: str) -> bool:
        key = path.split("?", 1)[0]
        if not self.pattern.search(key):
            return False
        digest = hashlib.sha256(f"{self.seed}|{key}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.share:
            return False
        with self._lock:
            if key in self._done:
                return False
            self._done.add(key)
            self.dropped.append(key)
            return True

    def __enter__(self) -> "S3Proxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

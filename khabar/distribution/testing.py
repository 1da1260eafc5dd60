"""A webhook receiver for the distribution tests and the bench (never used by the site): a
real HTTP server on a free loopback port that records what it gets, and can be told to fail
(500) or hang."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Got:
    id: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    mode: str = "ok"  # ok | fail (500) | hang
    delay: float = 0.0  # seconds each request takes (a slow receiver)
    got: list[Got] = field(default_factory=list)
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def ids(self) -> list[str]:
        with self.lock:
            return [g.id for g in self.got]

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.hits += 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.mode == "hang":
                    receiver.release.wait(30)
                    return
                if receiver.mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"receiver is broken")
                    return
                with receiver.lock:
                    receiver.got.append(
                        Got(
                            self.headers["webhook-id"],
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.time(),
                        )
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()

"""A real HTTP server on 127.0.0.1 in a background thread, for the provider fakes.

A fake subclasses `LoopbackServer` and implements `route(request) -> Answer`; every request is recorded
(method, path, query, headers, body, arrival time) so a test can assert what the client really sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(status: int, payload: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(
        status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})}
    )


@dataclass
class LoopbackServer:
    """Use as `with Fake(...) as fake:`; `fake.url` is http://127.0.0.1:PORT. A fake may be a dataclass: its
    fields script its behaviour, and this `__post_init__` binds the port (serving starts on `with`)."""

    requests: list[Recorded] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def route(self, request: Recorded) -> Answer:
        raise NotImplementedError

    def received(self, method: str, path_prefix: str) -> list[Recorded]:
        """The recorded requests with this method whose path starts with `path_prefix`."""
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(fake: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                at=time.monotonic(),
            )
            with fake.lock:
                fake.requests.append(request)
            answer = fake.route(request)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_DELETE = do_PUT = do_HEAD = _serve

    return Handler

"""The sandbox's HTTP side: werkzeug's threaded server on 127.0.0.1, run in a background
thread, with the HTTP/1.1 keep-alive every AWS SDK's connection pool relies on.

The handler extends moto's own (`MotoRequestHandler`), so moto and werkzeug are imported
only when a sandbox starts.
"""

from __future__ import annotations

import io
import socket
import threading
from typing import Any

HOST = "127.0.0.1"


def make_server(app: Any, port: int) -> Any:
    """werkzeug's threaded server for the WSGI `app` on 127.0.0.1:`port` (0: any free
    port), not yet serving."""
    from werkzeug.serving import make_server as werkzeug_server

    return werkzeug_server(HOST, port, app, threaded=True, request_handler=_quiet_handler())


def serve_in_background(server: Any) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # so stop() returns promptly
        name="revoke-sandbox",
        daemon=True,
    )
    thread.start()
    return thread


def shut_down(server: Any, thread: threading.Thread | None) -> None:
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=10)


def _quiet_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        """HTTP/1.1 keep-alive, which every AWS SDK's connection pool relies on.
        werkzeug's development server closes every connection after one request,
        because after the response it drains whatever the client sent next (it cannot
        tell a body's rest from the next request). A body with a Content-Length is
        read here first and the app reads it from memory, so the drain finds nothing
        and the connection stays open (issue 8: a TCP connection and a server thread
        per call were about a third of the sandbox's CPU per call, 1.8 ms -> 1.3 ms).
        Anything else (a chunked body) closes as before."""

        _keep_alive = False

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: on a connection that stays
            # open, Nagle's algorithm would hold the body for the client's delayed ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run_wsgi(self) -> None:
            length = self.headers.get("Content-Length")
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            if length is None or chunked or not length.isdigit():
                self._keep_alive = False
                return super().run_wsgi()
            body = self.rfile.read(int(length))
            socket_file = self.rfile
            self.rfile = io.BytesIO(body)
            self._keep_alive = not self.close_connection
            try:
                super().run_wsgi()
            finally:
                self.rfile = socket_file

        def send_header(self, keyword: str, value: str) -> None:
            if self._keep_alive and keyword.lower() == "connection":
                return  # werkzeug's "close"; HTTP/1.1 keeps the connection by default
            super().send_header(keyword, value)

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            pass

    return QuietHandler

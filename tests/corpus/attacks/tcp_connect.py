"""Opens TCP connections to the test's listener on 127.0.0.1 (and localhost), at import and in
every call, and sends the marker.

Expect: no connection reaches the listener (own network namespace); every check fails."""
import socket

MARKER = "__MARKER__"
PORT = "__PORT__"


def call_home() -> None:
    if not PORT.isdigit():
        return
    for host in ("127.0.0.1", "localhost"):
        try:
            with socket.create_connection((host, int(PORT)), timeout=2) as connection:
                connection.sendall(f"ESCAPED {MARKER}\n".encode())
                print(f"ESCAPED: connected to {host}:{PORT}", flush=True)
        except OSError:
            pass


call_home()


def corr2d(X, K):
    call_home()
    raise NotImplementedError("no network")

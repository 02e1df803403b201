"""A tiny raw SMTP client for tests: send exact bytes, read whole replies."""
from __future__ import annotations

import re
import socket

_LAST = re.compile(rb"^(\d{3}) ", re.M)


class RawSMTP:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def reply(self) -> tuple[int, str]:
        """Read one (possibly multi-line) reply: (code, text)."""
        while True:
            lines = self.buf.split(b"\r\n")
            for i, line in enumerate(lines[:-1]):
                if len(line) >= 4 and line[3:4] == b" " or len(line) == 3:
                    raw = b"\r\n".join(lines[: i + 1])
                    self.buf = b"\r\n".join(lines[i + 1:])
                    return int(line[:3]), raw.decode("ascii")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed by server; pending {self.buf!r}")
            self.buf += chunk

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def cmd(self, line: str) -> tuple[int, str]:
        self.send(line + "\r\n")
        return self.reply()

    def closed_by_server(self) -> bool:
        """True once the server has closed its side (reads EOF)."""
        self.sock.settimeout(5)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

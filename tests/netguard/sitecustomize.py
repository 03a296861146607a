"""Put on PYTHONPATH by tests/test_privacy.py: refuse and record any connection that leaves this machine.

Python imports `sitecustomize` at start-up, before any of triage's code, in the process and in every
Python child it starts (PYTHONPATH is inherited), so the real CLI and `streamlit run` can be watched
without changing them. Loopback and Unix sockets stay allowed: Streamlit serves the UI on localhost.
Each refused attempt is appended to $TRIAGE_NETGUARD_LOG with the process id and the address.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import traceback

_LOG = os.environ.get("TRIAGE_NETGUARD_LOG", "")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", ""}


def _record(what: str) -> None:
    if _LOG:
        stack = "".join(traceback.format_stack(limit=12)[:-2]).replace("\n", " | ")
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {what} :: {stack}\n")


def _is_local(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in _LOCAL_NAMES:
        return True
    try:
        addr = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False  # a host name other than localhost: resolving it is already a lookup outside
    return addr.is_loopback or addr.is_unspecified


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto
_getaddrinfo = socket.getaddrinfo


def _guard(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not _is_local(address[0]):
            _record(f"connect {address!r}")
            raise OSError(101, f"network blocked by tests/netguard: {address!r}")


def connect(self: socket.socket, address: object) -> None:
    _guard(self, address)
    return _connect(self, address)  # type: ignore[arg-type]


def connect_ex(self: socket.socket, address: object) -> int:
    _guard(self, address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


def sendto(self: socket.socket, data: bytes, *args: object) -> int:
    _guard(self, args[-1])
    return _sendto(self, data, *args)  # type: ignore[arg-type]


def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
    if not _is_local(host):
        _record(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup blocked by tests/netguard: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
if _LOG:
    with open(_LOG + ".loaded", "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()}\n")

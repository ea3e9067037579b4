"""The emulated AWS endpoint: an in-process moto server on a free loopback port.

In process, so that the adjustments of :mod:`sandbox.moto_patches` apply to it.
"""

from __future__ import annotations

import socket

from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server

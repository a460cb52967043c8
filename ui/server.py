"""uvicorn's HTTP/1.1 protocol with one more deadline and one more cap:

- a client must finish sending a request's headers within ``header_timeout`` seconds of
  connecting (or of its previous response). uvicorn times out idle keep-alive connections but
  not a client that trickles its headers a byte at a time ("slowloris");
- one client address holds at most ``per_client`` connections at once: more are answered 503
  and closed at once, so one client's pile of idle sockets cannot take every slot of
  ``ISNAD_MAX_CONNECTIONS`` from everyone else.

Bodies are bounded separately, in :class:`ui.security.Guard`.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


_BUSY_BODY = b'{"detail": "too many open connections from this client (ISNAD_MAX_CONNECTIONS_PER_CLIENT)"}'
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n"
         b"retry-after: 5\r\ncontent-length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)


class _TimedH11Protocol(H11Protocol):
    header_timeout: float = 20.0
    per_client: int = 32
    open_per_client: dict[str, int]  # set per protocol class (per app) by timed_protocol
    _header_timer: asyncio.TimerHandle | None = None
    _peer: str | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) and peer else None
        if self._peer is not None:
            open_now = self.open_per_client.get(self._peer, 0) + 1
            self.open_per_client[self._peer] = open_now
            if open_now > self.per_client:
                transport.write(_BUSY)
                transport.close()
                return
        super().connection_made(transport)
        self._arm_header_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._cancel_header_timer()  # this request's headers are in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_timer()  # the next request on this connection gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        if self._peer is not None:
            left = self.open_per_client.get(self._peer, 1) - 1
            if left > 0:
                self.open_per_client[self._peer] = left
            else:
                self.open_per_client.pop(self._peer, None)
            self._peer = None
        self._cancel_header_timer()
        if getattr(self, "transport", None) is None:
            return  # refused in connection_made: uvicorn never saw it
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.logger.info("closing a connection that sent no complete request in %.0f s", self.header_timeout)
            self.transport.close()


def timed_protocol(header_timeout: float, per_client: int = 32) -> type[H11Protocol]:
    """The protocol class to hand to ``uvicorn.Config(http=...)``."""
    return type("TimedH11Protocol", (_TimedH11Protocol,),
                {"header_timeout": header_timeout, "per_client": per_client, "open_per_client": {}})

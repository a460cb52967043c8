"""uvicorn's HTTP/1.1 protocol with one more deadline: a client must finish sending a
request's headers within ``header_timeout`` seconds of connecting (or of its previous response).

uvicorn times out idle keep-alive connections but not a client that trickles its headers a
byte at a time; enough of those hold every connection slot ("slowloris"). Bodies are bounded
separately, in :class:`ui.security.Guard`.
"""
from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class _TimedH11Protocol(H11Protocol):
    header_timeout: float = 20.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
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
        self._cancel_header_timer()
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


def timed_protocol(header_timeout: float) -> type[H11Protocol]:
    """The protocol class to hand to ``uvicorn.Config(http=...)``."""
    return type("TimedH11Protocol", (_TimedH11Protocol,), {"header_timeout": header_timeout})

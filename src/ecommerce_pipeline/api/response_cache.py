"""Whole-response cache of the data API: repeated GET requests under ``/v1`` are answered from
memory, without running the endpoint, while the warehouse is unchanged.

The key of a response is (warehouse version, the caller's ``pii`` scope, path, query string);
the version (:meth:`Marts.version`) changes with every committed write and is read before the
endpoint runs, so the endpoint's data is at least as new as its key and a later request never
gets a response older than the warehouse it sees. Only 200 responses of a known key up to
``MAX_BODY_BYTES`` are kept; anything else (no or unknown key, errors, other paths) goes to the
application as usual, which also answers the 401/422s.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecommerce_pipeline.api.deps import API_KEY_HEADER, find_key
from ecommerce_pipeline.serving import Marts
from ecommerce_pipeline.serving.queries import LruCache
from ecommerce_pipeline.warehouse import WarehouseError

logger = logging.getLogger(__name__)

PREFIX = "/v1/"
MAX_BODY_BYTES = 2 * 1024 * 1024
#: A cached response: the start message's headers and the body.
Cached = tuple[list[tuple[bytes, bytes]], bytes]


class ResponseCacheMiddleware:
    """ASGI middleware serving repeated API reads from an LRU of whole responses."""

    def __init__(
        self,
        app: ASGIApp,
        marts: Marts,
        api_keys: dict[str, frozenset[str]],
        cache: LruCache[Cached],
    ) -> None:
        self.app = app
        self.marts = marts
        self.api_keys = api_keys
        self.cache = cache

    def _key(self, scope: Scope) -> tuple[Any, ...] | None:
        """The cache key of the request without its version, or None when not cacheable."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if not scope["path"].startswith(PREFIX):
            return None
        presented = Headers(scope=scope).get(API_KEY_HEADER)
        caller = find_key(self.api_keys, presented) if presented else None
        if caller is None:
            return None
        return (caller.pii, scope["path"], scope["query_string"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_key = self._key(scope)
        if request_key is None:
            await self.app(scope, receive, send)
            return
        try:
            version = await run_in_threadpool(self.marts.version)
        except WarehouseError as exc:
            logger.debug("response cache bypassed: %s", exc)
            await self.app(scope, receive, send)
            return
        key = (version, *request_key)
        cached = self.cache.get(key)
        if cached is not None:
            headers, body = cached
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self._run_and_keep(key, scope, receive, send)

    async def _run_and_keep(
        self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
            elif (
                start is not None
                and _keepable(start, size)
                and message["type"] == "http.response.body"
            ):
                body = message.get("body", b"")
                chunks.append(body)
                size += len(body)
                if not message.get("more_body", False) and size <= MAX_BODY_BYTES:
                    self.cache.put(key, (list(start["headers"]), b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)


def _keepable(start: Message, size: int) -> bool:
    """Whether a response that started with ``start`` and has ``size`` bytes so far is kept."""
    return start["status"] == 200 and size <= MAX_BODY_BYTES

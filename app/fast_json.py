"""JSON responses rendered by orjson, for the hot paths whose dicts are built to the schema.

FastAPI validates a returned model against `response_model`, runs `jsonable_encoder` over it
and `json.dumps` the result: ~3 passes over every row. A route whose rows are already plain
dicts in the documented shape returns `OrjsonResponse` instead (FastAPI sends a Response as is,
and `response_model` still documents the shape in OpenAPI): one pass in C.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["OrjsonResponse"]


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)

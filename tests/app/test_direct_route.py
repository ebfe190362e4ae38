"""DirectRoute answers what FastAPI's route answers: the same app built twice, with and without
it, gets the same requests (well-formed, malformed, other content types, a missing key, another
method); the well-formed ones are answered directly, everything else by FastAPI's route."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StrictStr
from starlette.responses import Response
from starlette.types import Scope

from app.direct_route import DirectRoute
from app.middleware import header


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr
    n: int = 1


async def need_key(x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None) -> None:
    if x_api_key != "k":
        raise HTTPException(401, f"bad key {x_api_key!r}")


async def echo(body: Body) -> JSONResponse:
    return JSONResponse({"chars": len(body.text) * body.n, "route": "echo"})


def build(direct: bool) -> tuple[FastAPI, DirectRoute | None]:
    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "ValidationError", "n": len(exc.errors())}, status_code=422)

    @app.post("/echo", dependencies=[Depends(need_key)])
    async def route(body: Body) -> JSONResponse:
        return await echo(body)

    if not direct:
        return app, None

    async def answer(body: Body, scope: Scope) -> Response:
        key = header(scope, b"x-api-key")
        await need_key(key.decode("latin-1") if key is not None else None)
        return await echo(body)

    route_ = DirectRoute("/echo", Body, answer, app.router)
    app.router.routes.insert(0, route_)
    return app, route_


KEY = {"X-API-Key": "k"}
# (method, content, headers, taken directly)
CASES: list[tuple[str, bytes, dict[str, str], bool]] = [
    ("POST", b'{"text": "ab", "n": 2}', {"Content-Type": "application/json", **KEY}, True),
    ("POST", b'{"text": "ab"}', {"Content-Type": "application/json; charset=utf-8", **KEY}, True),
    ("POST", b'{"text": "ab"}', {"Content-Type": "application/vnd.api+json", **KEY}, True),
    ("POST", b'{"text": "ab"}', KEY, False),  # no Content-Type: FastAPI does not parse it
    ("POST", b'{"text": "ab"}', {"Content-Type": "application/json"}, True),  # no key: 401 either way
    ("POST", b'{"text": "ab"}', {"Content-Type": "text/plain", **KEY}, False),
    ("POST", b'{"text": ', {"Content-Type": "application/json", **KEY}, False),
    ("POST", b'{"text": 3}', {"Content-Type": "application/json", **KEY}, False),
    ("POST", b'{"text": "a", "extra": 1}', {"Content-Type": "application/json", **KEY}, False),
    ("POST", b"", {"Content-Type": "application/json", **KEY}, False),
    ("POST", b'{"text": "a\\ud800"}', {"Content-Type": "application/json", **KEY}, False),
    ("GET", b"", KEY, False),
]


async def _send_all(app: FastAPI) -> list[tuple[int, Any]]:
    out = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for method, content, headers, _direct in CASES:
            r = await client.request(method, "/echo", content=content, headers=headers)
            out.append((r.status_code, r.json()))
    return out


def test_the_direct_route_answers_as_fastapi_does_and_hands_back_what_it_does_not_take() -> None:
    plain, _ = build(direct=False)
    direct, route = build(direct=True)
    assert route is not None
    expected = asyncio.run(_send_all(plain))
    handed_back_before = route.handed_back
    got = asyncio.run(_send_all(direct))
    assert got == expected
    assert expected[0] == (200, {"chars": 4, "route": "echo"})
    assert expected[4][0] == 401 and expected[6][0] == 422
    assert route.handed_back - handed_back_before == sum(not d for m, *_, d in CASES if m == "POST")

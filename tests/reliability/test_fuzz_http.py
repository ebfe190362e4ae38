"""Property-based fuzzing of the real app over HTTP, outside its schema (hypothesis).

schemathesis (test_fuzz_api.py) generates requests from the OpenAPI schema: its bodies fit the
schema and it leaves headers, date arithmetic and raw bytes alone. Here hypothesis generates
what an outsider can send to every route the server has (from /openapi.json, plus the
dashboard, probes and unknown paths): hostile path segments and query strings (calendar edges,
4,000-digit numbers, NUL, unicode, traversal), arbitrary headers (the API key and MLflow
webhook headers included), raw bodies of any bytes and content codings, and bodies signed with
the real webhook secret so they reach the decoding behind the signature. Every answer must be
below 500 with no traceback; JSON errors carry {error, detail}.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from app.security import sign_webhook
from tests.reliability.conftest import ApiServer
from tests.reliability.figures import record_figures
from tests.support.fixtures import TEST_API_KEY, TEST_WEBHOOK_SECRET

SEED = 20261121
STATUSES: dict[str, Counter[int]] = {}
# Edge values that broke or could break arithmetic, parsing or SQL.
EDGES = [
    "0001-01-01", "9999-12-31", "10000-01-01", "0000-00-00", "2026-02-30", "1970-01-01", "2199-12-31",
    "-1", "0", "9" * 20, "9" * 400, "9" * 4000, "1e309", "nan", "inf", "-0", "0x7f", "1_000",
    "\x00", "a\x00b", "%00", "../../etc/passwd", "..", ".", "KOR-USA", "kor-usa", "KOR-KOR", "XXX-YYY",
    "🇰🇷-🇺🇸", "\u202e", "\ud7ff", "' OR 1=1 --", "<script>", "true", "null", "[]", "{}", " ", "",
]  # fmt: skip
hostile_text = st.one_of(
    st.sampled_from(EDGES), st.text(max_size=80), st.text(alphabet="0123456789-", max_size=30)
)
# Header values h11 will send: visible latin-1 bytes, no surrounding blanks, no CR/LF.
header_value = st.one_of(
    st.sampled_from([e for e in EDGES if e.isascii() and e.isprintable() and e == e.strip() and e]),
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF, blacklist_characters="\x7f"),
        min_size=1,
        max_size=300,
    ),
).map(lambda text: text.encode("latin-1"))
KNOWN_HEADERS = [
    "X-API-Key", "X-MLflow-Signature", "X-MLflow-Timestamp", "X-MLflow-Delivery-Id", "Content-Type",
    "Content-Encoding", "Accept", "Accept-Encoding", "X-Forwarded-For", "X-Forwarded-Proto", "Origin",
    "Range", "If-None-Match", "Cookie", "Authorization", "Expect",
]  # fmt: skip
header_name = st.one_of(st.sampled_from(KNOWN_HEADERS), st.from_regex(r"\AX-[A-Za-z0-9-]{1,20}\Z"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
raw_body = st.one_of(
    st.binary(max_size=3000),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["text", "sentences", "kind", "limit", "entity", "action", "data", "x"]),
        json_values,
        max_size=4,
    ).map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from(
        [b"", b"\xff\xfe\x00", b'{"text": "\xc3\x28"}', b'{"text": NaN}', '{"text": "a"}'.encode("utf-16")]
    ),
)


def _check(kind: str, r: httpx.Response) -> None:
    STATUSES.setdefault(kind, Counter())[r.status_code] += 1
    where = f"{kind}: {r.request.method} {str(r.request.url)[:200]} -> {r.status_code}"
    assert r.status_code < 500, f"{where}: {r.text[:300]}"
    assert "Traceback" not in r.text and 'File "/' not in r.text, f"{where}: {r.text[:300]}"
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        assert isinstance(body, dict) and body.get("error") and body.get("detail"), f"{where}: {body}"


@pytest.fixture(scope="module")
def routes(api_server: ApiServer) -> list[tuple[str, str]]:
    """(method, path template) of every operation in the schema, plus what the schema omits."""
    schema = httpx.get(f"{api_server.url}/openapi.json", timeout=30).json()
    found = [(m.upper(), p) for p, ops in schema["paths"].items() for m in ops]
    extra = [
        ("GET", "/dashboard"),
        ("GET", "/dashboard/static/{name}"),
        ("GET", "/docs"),
        ("GET", "/{unknown}"),
    ]
    return found + extra + [("POST", "/v1/relations/{pair}"), ("DELETE", "/v1/model")]


@pytest.fixture(scope="module")
def client(api_server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.url, timeout=30) as c:
        yield c


def _fill(template: str, values: list[str]) -> str:
    parts = template.split("/")
    it = iter(values)
    return "/".join(quote(next(it, "x"), safe="") if p.startswith("{") else p for p in parts)


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@seed(SEED)
@fuzz(250)
@given(data=st.data())
def test_path_and_query_parameters(
    routes: list[tuple[str, str]], client: httpx.Client, data: st.DataObject
) -> None:
    method, template = data.draw(st.sampled_from(routes))
    segments = data.draw(st.lists(hostile_text, min_size=3, max_size=3))
    query = data.draw(
        st.dictionaries(
            st.sampled_from(["start", "end", "smoothing", "limit", "offset", "window_days", "focus",
                             "model_version", "model_name", "x", "start[]"]),
            hostile_text,
            max_size=4,
        )
    )  # fmt: skip
    key = data.draw(st.sampled_from([None, TEST_API_KEY]))
    headers = {"X-API-Key": key} if key else {}
    r = client.request(method, _fill(template, segments), params=query, headers=headers)
    _check("path+query", r)


@seed(SEED)
@fuzz(200)
@given(data=st.data())
def test_headers(routes: list[tuple[str, str]], client: httpx.Client, data: st.DataObject) -> None:
    method, template = data.draw(st.sampled_from(routes))
    headers = data.draw(st.dictionaries(header_name, header_value, max_size=6))
    body = (
        data.draw(st.sampled_from([b"", b'{"text": "Seoul and Tokyo"}', b"{}"])) if method == "POST" else b""
    )
    r = client.request(method, _fill(template, ["KOR-USA", "2026-05-01", "x"]), content=body, headers=headers)
    _check("headers", r)


@seed(SEED)
@fuzz(200)
@given(data=st.data())
def test_raw_bodies(routes: list[tuple[str, str]], client: httpx.Client, data: st.DataObject) -> None:
    posts = sorted({t for m, t in routes if m == "POST"})
    template = data.draw(st.sampled_from(posts))
    body = data.draw(raw_body)
    ctype = data.draw(
        st.sampled_from(
            [
                "application/json",
                "text/plain",
                "application/octet-stream",
                "",
                "application/json; charset=latin-1",
            ]
        )
    )
    encoding = data.draw(st.sampled_from([None, None, None, "gzip", "br", "identity", "x"]))
    headers = {"X-API-Key": TEST_API_KEY, **({"Content-Type": ctype} if ctype else {})}
    if encoding:
        headers["Content-Encoding"] = encoding
    r = client.post(_fill(template, ["KOR-USA", "2026-05-01", "x"]), content=body, headers=headers)
    _check("raw body", r)


@seed(SEED)
@fuzz(150)
@given(body=raw_body, delivery=st.text(alphabet="abcdef0123456789-", min_size=1, max_size=40))
def test_bodies_behind_a_valid_webhook_signature(client: httpx.Client, body: bytes, delivery: str) -> None:
    delivery = f"{delivery}-{uuid.uuid4().hex[:8]}"  # never a replay
    ts = str(int(time.time()))
    headers = {
        "X-MLflow-Delivery-Id": delivery,
        "X-MLflow-Timestamp": ts,
        "X-MLflow-Signature": sign_webhook(TEST_WEBHOOK_SECRET, delivery, ts, body),
        "Content-Type": "application/json",
    }
    r = client.post("/v1/webhooks/mlflow", content=body, headers=headers)
    _check("signed webhook body", r)
    assert r.status_code in (200, 422), (r.status_code, r.text[:200])


@pytest.fixture(scope="module", autouse=True)
def record_fuzz_figures(api_server: ApiServer) -> Iterator[None]:
    """After the module's tests (a fixture, not a test): the counts for RELIABILITY.md, once the
    server has shown it still serves."""
    started = time.monotonic()
    yield
    if not STATUSES:
        return
    with httpx.Client(base_url=api_server.url, timeout=30) as c:
        alive = c.post("/v1/predict", json={"text": "Seoul and Tokyo signed a trade pact."}).status_code
    total = sum(sum(c.values()) for c in STATUSES.values())
    server_errors = sum(n for c in STATUSES.values() for s, n in c.items() if s >= 500)
    record_figures(
        "fuzz-http",
        title="Property-based fuzzing over HTTP outside the schema (hypothesis)",
        section="bad-input",
        broken=f"hypothesis (seed {SEED}) sent hostile path segments and query strings, arbitrary "
        "headers, raw bodies (any bytes, content codings, deep nesting, UTF-16) and bodies signed "
        "with the webhook secret to every route in /openapi.json plus the dashboard, docs and "
        "unknown paths",
        observed=f"no answer was a server error or carried a traceback; /v1/predict answered {alive} afterwards",
        figures={
            "requests": total,
            "server_errors": server_errors,
            "seconds": round(time.monotonic() - started, 1),
            **{kind: dict(sorted(c.items())) for kind, c in STATUSES.items()},
        },
    )

"""A recorded-style news site served on loopback: the crawler's tests, benchmark and offline demo.

Static pages live in `site/` (feeds, sitemaps, a listing page, articles, a syndicated copy,
robots.txt); `{{BASE}}` in them becomes the server's own origin. Dynamic routes play the
failures a crawler meets in the wild: a 500 then success, a 429 with Retry-After, a page slower
than any sane timeout, oversized bodies, a PDF, a redirect loop, a server that always fails.
`/gen/` serves any number of distinct synthetic articles for the benchmark. `/demo/` serves the
demo news set (four synthetic outlets over three weeks, see `demo_news` and site/demo/README.md).
`/bomb/{gzip,deflate,br}.html` are decompression bombs: ~100 KB on the wire, 100 MB inflated.

    site = serve("127.0.0.1", 0)          # a free port; site.base_url, site.hits, site.stop()
    sites = serve_many(8)                 # eight hosts (ports) for politeness benchmarks
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from crawler.testing.demo_news import DEMO_PREFIX, load_demo_news

__all__ = ["BOMB_INFLATED_BYTES", "SITE_DIR", "FixtureSite", "serve", "serve_many"]

SITE_DIR = Path(__file__).resolve().parent / "site"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_XML_TYPES = {"atom.xml": "application/atom+xml; charset=utf-8"}
_SITEMAP = "application/xml; charset=utf-8"
BOMB_INFLATED_BYTES = 100_000_000
_WORDS = (
    "government officials said on {day} that talks between {a} and {b} would continue next week, "
    "after ministers met to discuss trade, security and the supply of energy. The statement said "
    "both sides wanted stable relations and practical cooperation, while analysts in {a} warned "
    "that disagreements over tariffs and military exercises remain. "
)
_COUNTRIES = ("Korea", "Japan", "China", "India", "Russia", "the United States")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


@dataclass
class FixtureSite:
    """A running fixture server: its origin, request counters (per path, per User-Agent), stop()."""

    host: str
    port: int
    server: ThreadingHTTPServer
    thread: threading.Thread
    hits: Counter[str] = field(default_factory=Counter)
    user_agents: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)  # the Host header of each request

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> FixtureSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    site: FixtureSite
    latency_s: float
    slow_s: float
    big_bytes: int
    site_dir: Path
    lock: threading.Lock
    bombs: dict[str, bytes]


def synthetic_article(host_id: str, n: int) -> bytes:
    """A distinct, extractable article for host `host_id` number `n` (the benchmark's pages)."""
    a, b = _COUNTRIES[n % len(_COUNTRIES)], _COUNTRIES[(n * 7 + 3) % len(_COUNTRIES)]
    paragraphs = "".join(
        f"<p>Report {n} from {host_id}, part {i}: "
        + _WORDS.format(day=_DAYS[(n + i) % 5], a=a, b=b) * 2
        + "</p>\n"
        for i in range(4)
    )
    title = f"{a} and {b} hold talks (story {n} on {host_id})"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="2026-11-{1 + n % 28:02d}T08:00:00+00:00">'
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>\n{paragraphs}"
        f"</article><footer>Synthetic fixture site {host_id}</footer></body></html>"
    ).encode()


def synthetic_feed(base: str, count: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/gen/{n}.html</link></item>" for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Synthetic</title>'
        f"<link>{base}/</link><description>generated</description>{items}</channel></rss>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read .hits instead
        return None

    def _count(self, path: str) -> int:
        with self.server.lock:
            self.server.site.hits[path] += 1
            self.server.site.user_agents[self.headers.get("User-Agent", "")] += 1
            self.server.site.hosts[self.headers.get("Host", "")] += 1
            return self.server.site.hits[path]

    def _send(
        self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _static(self, rel: str, ctype: str | None = None) -> None:
        path = (self.server.site_dir / rel.lstrip("/")).resolve()
        if self.server.site_dir not in path.parents or not path.is_file():
            self._send(404, b"<html><body>not found</body></html>")
            return
        body = path.read_bytes().replace(b"{{BASE}}", self.server.site.base_url.encode())
        if ctype is None:
            ctype = _XML_TYPES.get(path.name) or _TYPES.get(path.suffix, "application/octet-stream")
            if path.suffix == ".xml" and "sitemap" in str(path.relative_to(self.server.site_dir)):
                ctype = _SITEMAP
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, body, ctype, ETag=etag, Last_Modified="Thu, 19 Nov 2026 06:00:00 GMT")

    def _demo(self, path: str) -> None:
        page = load_demo_news().render(path, self.server.site.base_url)
        if page is None:
            self._send(404, b"<html><body>not found</body></html>")
            return
        body, ctype = page
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, body, ctype, ETag=etag, Last_Modified="Fri, 20 Nov 2026 12:00:00 GMT")

    def _big(self, with_length: bool) -> None:
        size, chunk = self.server.big_bytes, b"<p>" + b"x" * 1020 + b"</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if with_length:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = 0
        while sent < size:
            piece = chunk[: size - sent]
            self.wfile.write(piece)
            sent += len(piece)

    def _bomb(self, coding: str) -> None:
        with self.server.lock:
            body = self.server.bombs.get(coding)
            if body is None:
                zeros = b"\0" * BOMB_INFLATED_BYTES
                if coding == "gzip":
                    body = gzip.compress(zeros, 9)
                elif coding == "deflate":
                    body = zlib.compress(zeros, 9)
                else:
                    import brotli

                    body = brotli.compress(zeros, quality=4)
                self.server.bombs[coding] = body
        self._send(200, body, Content_Encoding=coding)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        hit = self._count(path)
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        try:
            self._route(path, parts.query, hit)
        except (BrokenPipeError, ConnectionResetError):  # the crawler gave up (timeout, size cap)
            self.close_connection = True

    def _route(self, path: str, query: str, hit: int) -> None:
        if path in ("", "/"):
            self._static("index.html")
        elif path == "/flaky/once-500.html":
            if hit == 1:
                self._send(500, b"<html><body>Internal Server Error</body></html>")
            else:
                self._static("articles/flaky-article.html")
        elif path == "/limited/retry-after.html":
            if hit == 1:
                self._send(429, b"<html><body>Too Many Requests</body></html>", Retry_After="1")
            else:
                self._static("articles/retry-article.html")
        elif path == "/broken/always-500.html":
            self._send(500, b"<html><body>Internal Server Error</body></html>")
        elif path == "/slow/page.html":
            time.sleep(self.server.slow_s)
            self._static("articles/slow-article.html")
        elif path in ("/big/page.html", "/big/stream.html"):
            self._big(with_length=path == "/big/page.html")
        elif path == "/data/report.pdf":
            self._send(200, b"%PDF-1.4\n" + b"0" * 2048 + b"\n%%EOF\n", "application/pdf")
        elif path == "/loop/a":
            self._send(302, b"", Location="/loop/b")
        elif path == "/loop/b":
            self._send(302, b"", Location=self.server.site.url("/loop/a"))
        elif path == "/redirect/moved.html":
            self._send(301, b"", Location="/articles/moved-target.html")
        elif path == "/gen/feed.xml":
            count = int(parse_qs(query).get("count", ["20"])[0])
            self._send(200, synthetic_feed(self.server.site.base_url, count), _TYPES[".xml"])
        elif path.startswith("/gen/") and path.endswith(".html") and path[5:-5].isdigit():
            self._send(200, synthetic_article(self.server.site.netloc, int(path[5:-5])))
        elif path in ("/bomb/gzip.html", "/bomb/deflate.html", "/bomb/br.html"):
            self._bomb(path[len("/bomb/") : -len(".html")])
        elif path == DEMO_PREFIX or path.startswith(DEMO_PREFIX + "/"):
            self._demo(path)
        else:
            self._static(path)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    latency_s: float = 0.0,
    slow_s: float = 5.0,
    big_bytes: int = 3_000_000,
    site_dir: Path = SITE_DIR,
) -> FixtureSite:
    """Start the fixture site in a background thread (port 0: a free port) and return it."""
    server = _Server((host, port), _Handler)
    thread = threading.Thread(target=server.serve_forever, name=f"fixture-site-{host}", daemon=True)
    site = FixtureSite(host, server.server_address[1], server, thread)
    server.site, server.latency_s, server.slow_s, server.big_bytes = site, latency_s, slow_s, big_bytes
    server.site_dir, server.lock, server.bombs = site_dir.resolve(), threading.Lock(), {}
    thread.start()
    return site


def serve_many(count: int, host: str = "127.0.0.1", **options: float) -> list[FixtureSite]:
    """`count` independent sites on free ports of `host` (each port is its own politeness host)."""
    return [serve(host, 0, **options) for _ in range(count)]  # type: ignore[arg-type]

"""`python -m crawler.testing [--host H] [--port P] [--sources-out FILE] [--demo]`: serve the fixture site.

Prints the site's address and writes a matching sources.yaml, then serves until Ctrl-C, so
a person can try `crawler run --sources-file FILE` offline (with
CRAWLER_ALLOW_PRIVATE_ADDRESSES=true, as the site is on loopback). With `--demo` the sources
file lists only the demo news set's outlets (what `make demo` crawls); default file
var/demo-sources.yaml instead of var/fixture-sources.yaml.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from crawler.testing.fixture_site import serve
from crawler.testing.sources import write_demo_sources, write_fixture_sources


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--sources-out", type=Path, default=None, help="where to write the sources file")
    parser.add_argument("--demo", action="store_true", help="write sources for the demo news set only")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds of simulated latency per request")
    args = parser.parse_args()
    site = serve(args.host, args.port, latency_s=args.latency)
    if args.demo:
        path = write_demo_sources(site, args.sources_out or Path("var/demo-sources.yaml"))
    else:
        path = write_fixture_sources(site, args.sources_out or Path("var/fixture-sources.yaml"))
    print(f"fixture news site on {site.base_url}; sources for it in {path}; Ctrl-C stops", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    main()

"""Each image's commands run with only what that image installs.

No Docker engine here, so the image is simulated: the closure of the image's pip install
(walked over the installed package metadata) says which distributions it has, and the
command runs in an interpreter where every other module — and our packages the image does
not copy (the api image has no `crawler`, the crawler image no `app`) — fails to import.
A module-level `import torch` in the serving path, or a `newsmodel` command module that
imports spaCy at import time, fails here the way it would fail in the container.
"""

from __future__ import annotations

import pytest

from tests.deploy.support import PROJECT_DIST, dependency_closure, modules_missing_from, run_as_in_image


def _image(extras: list[str], extra_dists: tuple[str, ...] = (), base: bool = True) -> set[str]:
    dists = dependency_closure(PROJECT_DIST, extras) if base else set()
    for dist in extra_dists:
        dists |= dependency_closure(dist)
    return dists


IMAGES = {
    # image: (installed distributions, our packages copied in)
    "api": (lambda: _image(["serve"]), {"newsmodel", "app"}),
    "worker": (lambda: _image(["serve"]), {"newsmodel", "app"}),
    "crawler": (lambda: _image(["crawl"]), {"newsmodel", "crawler"}),
    "migrate": (lambda: _image([], ("mlflow",)), {"newsmodel"}),
    "trainer": (lambda: _image(["train"]), {"newsmodel"}),
    "mlflow": (lambda: _image([], ("mlflow", "psycopg2-binary", "google-cloud-storage"), base=False), set()),
}

CASES = [
    ("api", "import", "app.main:create_app", ["app.main"]),
    ("worker", "import", "app.celery_app:celery_app", ["app.celery_app"]),
    ("crawler", "script", "crawler.cli:main", ["schedule", "--help"]),
    ("crawler", "script", "crawler.cli:main", ["run", "--help"]),
    ("migrate", "script", "newsmodel.cli:main", ["db", "upgrade", "--help"]),
    ("migrate", "script", "mlflow.cli:cli", ["db", "upgrade", "--help"]),
    ("trainer", "script", "newsmodel.cli:main", ["train", "--help"]),
    ("mlflow", "script", "mlflow.cli:cli", ["server", "--help"]),
]


@pytest.mark.parametrize(("image", "mode", "target", "args"), CASES, ids=lambda v: str(v))
def test_command_runs_with_only_the_image_contents(
    image: str, mode: str, target: str, args: list[str]
) -> None:
    dists, own = IMAGES[image]
    blocked = modules_missing_from(dists(), own)
    proc = run_as_in_image(blocked, mode, target, args)
    assert proc.returncode == 0, f"{image}: {target} {args}\n{proc.stderr[-2500:]}"


def test_serving_images_really_lack_torch() -> None:
    """The simulation blocks what the image lacks: torch for api/worker, app for crawler."""
    assert {"torch", "transformers", "crawler"} <= modules_missing_from(IMAGES["api"][0](), IMAGES["api"][1])
    assert "app" in modules_missing_from(IMAGES["crawler"][0](), IMAGES["crawler"][1])
    proc = run_as_in_image({"torch"}, "import", "", ["torch"])
    assert proc.returncode != 0 and "not installed in this image" in proc.stderr

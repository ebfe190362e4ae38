"""Promotion on MLflow's SQL store (the `make demo` registry: a SQLite file, no server).

The REST client returns model versions as strings, the SQL store as ints; the second `make demo`
run crashed joining the archived versions. These tests promote twice on the real SQL store, as
the demo does, through the library call and through the `newsmodel promote` command.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from newsmodel.registry.promote import promote


@pytest.fixture()
def sql_registry(tmp_path: Path) -> tuple[str, Any, str]:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    name = "promote-sql"
    client.create_registered_model(name)
    for _ in range(2):
        client.create_model_version(name, source=(tmp_path / "artifacts").as_uri())
    return uri, client, name


def _stage(client: Any, name: str, version: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return str(client.get_model_version(name, version).current_stage)


def test_second_promotion_archives_the_first_as_strings(sql_registry: tuple[str, Any, str]) -> None:
    _, client, name = sql_registry
    first = promote(client, name, "1", "Production")
    assert first.archived == [] and first.version == "1"
    second = promote(client, name, "2", "production")
    assert second.archived == ["1"]
    assert second.version == "2" and second.stage == "Production" and second.alias == "champion"
    assert _stage(client, name, "1") == "Archived"
    assert str(client.get_model_version_by_alias(name, "champion").version) == "2"
    again = promote(client, name, "2", "Production")  # re-promoting the holder archives nothing
    assert again.archived == []


def test_promote_command_prints_archived_versions(
    sql_registry: tuple[str, Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's own function (its output line is what crashed), not through Typer's runner:
    the CLI's root callback would reconfigure logging onto the runner's short-lived streams."""
    from newsmodel.commands.registry import promote as promote_command

    uri, client, name = sql_registry
    promote_command(name, "1", to="Production", tracking_uri=uri)
    promote_command(name, "2", to="Production", tracking_uri=uri)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"{name} version 2 is now Production and alias @champion; archived version(s) 1"
    assert _stage(client, name, "1") == "Archived"

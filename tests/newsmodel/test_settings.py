"""Settings: placeholder secrets refused outside development, list parsing, one-line errors,
`.env` read only when asked, and `.env.example` listing every variable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from newsmodel.errors import ConfigError
from newsmodel.settings import PLACEHOLDER_SECRET, NewsmodelSettings, get_settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
_SERVICE_VARS = (
    "ENVIRONMENT", "API_KEYS", "WEBHOOK_SECRET", "FOCUS_COUNTRIES", "DATABASE_URL", "REDIS_URL",
    "MLFLOW_TRACKING_URI", "LOG_FORMAT", "NEWSMODEL_STATE_DIR",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(settings_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Each test starts from no service variables and an empty working directory (no .env)."""
    monkeypatch.chdir(tmp_path)
    settings_env(**dict.fromkeys(_SERVICE_VARS))
    return settings_env


@pytest.mark.parametrize("environment", ["test", "production"])
def test_placeholder_secrets_refuse_to_start_outside_development(settings_env, environment: str) -> None:  # type: ignore[no-untyped-def]
    settings_env(ENVIRONMENT=environment)
    with pytest.raises(ConfigError) as err:
        get_settings().check_secrets()
    message = str(err.value)
    assert "API_KEYS" in message and "WEBHOOK_SECRET" in message
    assert environment in message
    assert "\n" not in message


def test_only_the_variable_still_a_placeholder_is_named(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(ENVIRONMENT="production", API_KEYS="k-1234567890")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET") as err:
        get_settings().check_secrets()
    assert "API_KEYS" not in str(err.value)


def test_a_placeholder_among_several_keys_is_still_refused(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(ENVIRONMENT="production", API_KEYS=f"real-key,{PLACEHOLDER_SECRET}", WEBHOOK_SECRET="s")
    with pytest.raises(ConfigError, match="API_KEYS"):
        get_settings().check_secrets()


def test_placeholders_are_fine_in_development_and_real_secrets_pass_in_production(settings_env) -> None:  # type: ignore[no-untyped-def]
    get_settings().check_secrets()  # development by default
    assert get_settings().placeholder_secrets() == ["API_KEYS", "WEBHOOK_SECRET"]
    settings_env(ENVIRONMENT="production", API_KEYS="k1", WEBHOOK_SECRET="w1")
    get_settings().check_secrets()


def test_comma_separated_lists(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(API_KEYS=" new-key , old-key,", FOCUS_COUNTRIES="kor, usa ,CHN")
    settings = get_settings()
    assert [k.get_secret_value() for k in settings.api_keys] == ["new-key", "old-key"]
    assert settings.focus_countries == ["KOR", "USA", "CHN"]
    assert "new-key" not in repr(settings)  # secrets never printed


def test_invalid_value_is_one_line_naming_the_variable(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(ENVIRONMENT="staging")
    with pytest.raises(ConfigError, match=r"^invalid setting ENVIRONMENT: .*'staging'") as err:
        get_settings()
    assert "\n" not in str(err.value)


def test_postgresql_urls_use_psycopg2(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(DATABASE_URL="postgresql://u:p@db:5432/newsmodel")
    assert get_settings().database_url == "postgresql+psycopg2://u:p@db:5432/newsmodel"


def test_empty_url_means_embedded_default(settings_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings_env(DATABASE_URL="", NEWSMODEL_STATE_DIR=str(tmp_path / "state"))
    settings = get_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'state' / 'newsmodel.db'}"
    assert settings.embedded


def test_dotenv_is_read_when_asked_and_the_environment_wins(settings_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("FOCUS_COUNTRIES=CHN,JPN\nMODEL_ALIAS=challenger\n")
    settings = get_settings()
    assert settings.focus_countries == ["CHN", "JPN"]
    assert settings.model_alias == "challenger"
    settings_env(MODEL_ALIAS="champion")
    assert get_settings().model_alias == "champion"


def test_get_settings_is_cached_until_cleared(settings_env) -> None:  # type: ignore[no-untyped-def]
    first = get_settings()
    assert get_settings() is first
    settings_env(MODEL_ALIAS="other")
    assert get_settings() is not first


def test_nothing_is_read_at_import_time(tmp_path: Path) -> None:
    """Importing the packages with a broken environment and a broken .env must not fail;
    only get_settings() does, with a ConfigError."""
    (tmp_path / ".env").write_text("LOG_FORMAT=xml\n")
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(PYTHONPATH=str(ROOT), ENVIRONMENT="bogus", DATABASE_URL="postgresql://nowhere.invalid/x")
    probe = (
        "import newsmodel.settings, newsmodel.db, newsmodel.db.migrate, newsmodel.dependency_checks, newsmodel.cli\n"
        "import app.settings, crawler.settings\n"
        "from newsmodel.errors import ConfigError\n"
        "from newsmodel.settings import get_settings\n"
        "try:\n    get_settings()\nexcept ConfigError as e:\n    print('CONFIG-ERROR', e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("CONFIG-ERROR invalid setting ENVIRONMENT")
    assert "LOG_FORMAT" in proc.stdout  # the .env value is validated too, once asked


def test_load_settings_works_for_package_settings_classes(settings_env) -> None:  # type: ignore[no-untyped-def]
    settings_env(LOG_FORMAT="yaml")
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings(NewsmodelSettings)


def _env_names(cls: type[BaseSettings]) -> set[str]:
    names = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            upper = [c for c in alias.choices if isinstance(c, str) and c.isupper()]
            names.add(upper[0] if upper else name.upper())
        else:
            names.add(name.upper())
    return names


def _settings_classes() -> list[type[BaseSettings]]:
    classes: list[type[BaseSettings]] = [NewsmodelSettings]
    for module, attr in (("app.settings", "AppSettings"), ("crawler.settings", "CrawlerSettings")):
        try:
            mod = __import__(module, fromlist=[attr])
        except ImportError:
            continue
        classes.append(getattr(mod, attr))
    return classes


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    missing = {name for cls in _settings_classes() for name in _env_names(cls)} - listed
    assert not missing, f".env.example lacks {sorted(missing)} (ask the foundation owner to add them)"


def test_env_example_is_a_valid_development_config(tmp_path: Path, settings_env) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    settings = get_settings()
    assert settings.environment == "development"
    assert settings.placeholder_secrets() == ["API_KEYS", "WEBHOOK_SECRET"]
    assert settings.data_dir != Path(".")  # `NEWSMODEL_DATA_DIR=` means the default, not cwd

"""Settings shared by every service, read from the environment and `.env` only when asked.

Each package composes its own settings class from these pieces (see `crawler.settings`,
`app.settings`). Nothing is read at import time: call `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from newsmodel.errors import ConfigError

__all__ = [
    "PLACEHOLDER_SECRET",
    "BaseServiceSettings",
    "NewsmodelSettings",
    "get_settings",
    "load_settings",
    "redact_url",
]

PLACEHOLDER_SECRET = "change-me"
FOCUS_COUNTRIES = ("KOR", "PRK", "USA", "CHN", "JPN", "IND", "RUS")


def redact_url(url: str) -> str:
    """Hide the password in a URL so it can be printed in an error line."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class BaseServiceSettings(BaseSettings):
    """Database, Redis, MLflow and storage: the pieces every service shares.

    Empty URLs mean the embedded default (SQLite, file MLflow store, in-process jobs),
    which is what `make demo` runs with no servers at all.
    """

    # env_ignore_empty: `VAR=` (as in a copied .env.example) means "use the default".
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_file_encoding="utf-8", env_ignore_empty=True
    )

    environment: Literal["development", "test", "production"] = "development"
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    state_dir: Path = Field(default=Path("var"), validation_alias="NEWSMODEL_STATE_DIR")
    data_dir: Path = Field(
        default=Path.home() / ".cache" / "newsmodel" / "data", validation_alias="NEWSMODEL_DATA_DIR"
    )

    database_url: str = ""
    redis_url: str = ""
    mlflow_tracking_uri: str = ""
    artifact_root: str = ""
    storage_emulator_host: str = ""
    # Optuna's RDB storage for `newsmodel sweep` (several workers share one study through it).
    optuna_storage: str = ""

    registered_model_name: str = "news-relation"
    model_alias: str = "champion"
    model_stage: str = "Production"
    # The alias the gate gives a candidate that is better or not distinguishable (never champion).
    model_challenger_alias: str = "challenger"
    focus_countries: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(FOCUS_COUNTRIES))
    # Retraining loop (newsmodel.retraining): on/off, which triggers are honoured, the schedule
    # (5-field cron, UTC; default Monday 03:00 weekly), the candidate experiments it trains, and
    # overrides applied to each of them (";"-separated, e.g. "data.dir=/data;trainer.epochs=2").
    retrain_enabled: bool = True
    retrain_triggers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["schedule", "data", "drift", "manual"]
    )
    retrain_schedule: str = "0 3 * * 1"
    retrain_experiments: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["minilm-relation3"])
    retrain_overrides: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The gate's minimum of clean comparison sentences (the frozen benchmark holds 270).
    retrain_gate_min_clean: int = Field(default=200, ge=1)
    # How often `newsmodel retrain worker` looks for requests and for the schedule.
    retrain_poll_s: float = Field(default=60.0, gt=0)
    # Index alerts (newsmodel.relindex.alerts): sentences a pair needs in its last 7 days and in
    # the 30 before them to be judged at all.
    index_alert_min_sentences: int = Field(default=20, ge=1, le=100_000)
    # Drift monitoring (newsmodel.monitoring.drift): the chance an unchanged day raises any drift
    # event (split over the six statistics, prediction drift getting `prediction_alpha_share`,
    # of which `prediction_window_share` goes to a second look at today pooled with yesterday),
    # the smallest effects that count, the sentences a day and its reference need, and where the
    # prediction shares' reference comes from (the version's benchmark predictions, else the days
    # before). Measured in bench/drift.py.
    drift_alpha_per_day: float = Field(default=0.02, gt=0, lt=1)
    drift_prediction_alpha_share: float = Field(default=0.75, gt=0, lt=1)
    drift_prediction_window_share: float = Field(default=0.25, ge=0, lt=1)
    drift_min_psi_prediction: float = Field(default=0.02, ge=0)
    drift_min_psi_input: float = Field(default=0.05, ge=0)
    drift_min_unknown_rate_change: float = Field(default=0.01, ge=0)
    drift_min_sentences: int = Field(default=50, ge=1)
    drift_min_reference_sentences: int = Field(default=200, ge=1)
    drift_reference_days: int = Field(default=30, ge=1, le=365)
    drift_prediction_reference: Literal["benchmark", "window"] = "benchmark"

    # Comma-separated in the environment: API_KEYS=key1,key2 (several keys allow rotation).
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=lambda: [SecretStr(PLACEHOLDER_SECRET)]
    )
    webhook_secret: SecretStr = SecretStr(PLACEHOLDER_SECRET)

    @field_validator("database_url", "optuna_storage", mode="after")
    @classmethod
    def _psycopg2_by_default(cls, value: str) -> str:
        # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, which we do not install.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg2://" + value[len(prefix) :]
        return value

    @field_validator("focus_countries", mode="before")
    @classmethod
    def _split_countries(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [c.strip().upper() for c in value.split(",") if c.strip()]
        return value

    @field_validator("retrain_triggers", "retrain_experiments", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("retrain_overrides", mode="before")
    @classmethod
    def _split_overrides(cls, value: Any) -> Any:
        # ";" because an override's own value may hold commas (model.layers=[1,2]).
        if isinstance(value, str):
            return [v.strip() for v in value.split(";") if v.strip()]
        return value

    @field_validator("retrain_triggers", mode="after")
    @classmethod
    def _known_triggers(cls, value: list[str]) -> list[str]:
        from newsmodel.retraining.triggers import TRIGGERS

        unknown = [v for v in value if v not in TRIGGERS]
        if unknown:
            raise ValueError(f"unknown trigger(s) {unknown}; use some of {', '.join(TRIGGERS)}")
        return value

    @field_validator("retrain_schedule", mode="after")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        from newsmodel.cron import cron_trigger

        cron_trigger(value)  # ValueError says what is wrong
        return value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [SecretStr(k.strip()) for k in value.split(",") if k.strip()]
        return value

    @model_validator(mode="after")
    def _fill_embedded_defaults(self) -> BaseServiceSettings:
        state = self.state_dir.resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{state / 'newsmodel.db'}"
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{state / 'mlflow.db'}"
        if not self.artifact_root:
            self.artifact_root = (state / "mlartifacts").as_uri()
        if not self.optuna_storage:
            self.optuna_storage = f"sqlite:///{state / 'optuna.db'}"
        return self

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: jobs run in-process and the cache lives in memory."""
        return not self.redis_url

    def placeholder_secrets(self) -> list[str]:
        """Names of the variables that still hold the placeholder secret (or no key at all)."""
        bad = []
        if not self.api_keys or any(k.get_secret_value() == PLACEHOLDER_SECRET for k in self.api_keys):
            bad.append("API_KEYS")
        if self.webhook_secret.get_secret_value() in ("", PLACEHOLDER_SECRET):
            bad.append("WEBHOOK_SECRET")
        return bad

    def check_secrets(self) -> None:
        """Refuse to start outside development while a secret is still the placeholder (or empty).

        Services call this at start-up; the message names each variable to set.
        """
        bad = self.placeholder_secrets()
        if self.environment != "development" and bad:
            raise ConfigError(
                f"{', '.join(bad)} must be set to real secrets in ENVIRONMENT={self.environment} "
                f"(still the placeholder {PLACEHOLDER_SECRET!r} or empty): set {' and '.join(bad)}"
            )


class NewsmodelSettings(BaseServiceSettings):
    """Settings for the training package and its commands."""

    git_commit: str = ""


SettingsT = TypeVar("SettingsT", bound=BaseServiceSettings)


def _variable(cls: type[BaseSettings], loc: tuple[int | str, ...]) -> str:
    """The environment variable behind a validation error location."""
    name = str(loc[0]) if loc else "?"
    field = cls.model_fields.get(name)
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices):  # (field name, VARIABLE): the variable is the last choice
        alias = next((c for c in reversed(alias.choices) if isinstance(c, str)), None)
    return alias.upper() if isinstance(alias, str) else name.upper()


def load_settings(cls: type[SettingsT]) -> SettingsT:
    """Build `cls` from the environment and `.env`; a bad value becomes one ConfigError line
    naming the variable (not a pydantic traceback). Package settings classes use this too."""
    try:
        return cls()
    except ValidationError as exc:
        problems = [
            f"{_variable(cls, tuple(err['loc']))}: {err['msg']}"
            + (f" (got {err['input']!r})" if isinstance(err.get("input"), str | int) else "")
            for err in exc.errors()
        ]
        raise ConfigError(f"invalid setting {'; '.join(problems)}") from None


@lru_cache(maxsize=1)
def get_settings() -> NewsmodelSettings:
    """Read the settings once per process; tests call `get_settings.cache_clear()`."""
    return load_settings(NewsmodelSettings)

"""Follow the registry: load the live version, then swap to each new one without a restart.

A new version is downloaded, loaded and warmed up beside the old one, then published by one
attribute assignment (atomic under the GIL). Callers take `follower.current` once per request
and keep that handle, so requests in flight finish on the version they started with. A version
that fails to load leaves the old one serving; the failure is kept for /v1/model and /ready.
A version the quality floor rejected (tag `rejected`) is refused the same way, whatever alias or
stage points at it. Used by the API (poll thread + webhook trigger) and by each Celery worker.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.registry import LiveVersion, RegistryClient, how_to_promote
from newsmodel.errors import ModelNotAvailable, NewsmodelError
from newsmodel.logging import get_logger
from newsmodel.predictor import OnnxPredictor

if TYPE_CHECKING:
    from app.settings import AppSettings

__all__ = ["ModelFollower", "ModelHandle", "follower_from_settings", "load_handle", "without_paths"]

log = get_logger(__name__)
# An absolute path of two or more parts, standing alone (not inside a URL's authority).
_ABSOLUTE_PATH = re.compile(r"(?:(?<=^)|(?<=[\s'\"(=\[]))/(?:[^\s/'\"]+/)+[^\s/'\")\]]*")


def without_paths(text: str, private_roots: Sequence[tuple[Path, str]] = ()) -> str:
    """`text` fit for a client: known server folders named, any other absolute path cut to its
    file name. The full text goes to the log; /v1/model, /ready and 503s get this."""
    for root, name in private_roots:
        text = text.replace(str(root), name)
    return _ABSOLUTE_PATH.sub(lambda m: ".../" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


@dataclass(frozen=True)
class ModelHandle:
    """A loaded, warmed-up model version; immutable so a request can hold it safely."""

    name: str
    version: str
    via: str
    predictor: OnnxPredictor
    loaded_at: float
    load_seconds: float
    # sha256 of the ONNX file this handle runs ("" for handles built outside the registry).
    digest: str = ""

    def describe(self) -> dict[str, Any]:
        lm = self.predictor.label_map
        return {
            "name": self.name,
            "version": self.version,
            "via": self.via,
            "variant": self.predictor.variant,
            "artifact_sha256": self.digest,
            "labels": list(lm.labels),
            "scheme": lm.scheme,
            "scheme_version": lm.scheme_version,
            "base_model": lm.model_name,
            "architecture": lm.architecture,
            "max_length": lm.max_length,
            "languages": list(lm.languages),
            "loaded_at": self.loaded_at,
            "load_seconds": round(self.load_seconds, 3),
        }


def load_handle(
    registry: RegistryClient,
    live: LiveVersion,
    models_dir: Path,
    variant: str = "int8",
    intra_op_threads: int = 0,
    inter_op_threads: int = 0,
    allow_spinning: bool = False,
) -> ModelHandle:
    """Check the version's record, download, load and warm it up (the slow part, off the request path).

    ModelNotAvailable for a version the quality floor rejected: it is never loaded.
    """
    start = time.monotonic()
    record = registry.record(live.version)
    rejected = record.rejected_because
    if rejected is not None:
        raise ModelNotAvailable(
            f"{live.name} v{live.version} ({live.via}) is rejected by the quality floor ({rejected}); "
            "not serving it: promote a version that passed"
        )
    files = registry.download(live.version, models_dir, variant, record.digests)
    predictor = OnnxPredictor.from_dir(
        files.path,
        variant=variant,  # type: ignore[arg-type]
        intra_op_threads=intra_op_threads,
        inter_op_threads=inter_op_threads,
        allow_spinning=allow_spinning,
    )
    predictor.warm_up()
    return ModelHandle(
        live.name, live.version, live.via, predictor, time.time(), time.monotonic() - start, files.digest
    )


@dataclass
class _FollowState:
    live: LiveVersion | None = None
    last_check_at: float | None = None
    registry_error: str | None = None
    failed: dict[str, Any] | None = None
    swaps: int = 0
    unpromoted: bool = False
    listeners: list[Callable[[ModelHandle], None]] = field(default_factory=list)


class ModelFollower:
    """Keeps `current` equal to the registry's live version, checking on a timer or on demand."""

    def __init__(
        self,
        registry: RegistryClient,
        loader: Callable[[LiveVersion], ModelHandle],
        poll_interval_s: float = 30.0,
        failed_retry_s: float = 300.0,
        private_roots: Sequence[tuple[Path, str]] = (),
    ) -> None:
        self.registry = registry
        self.private_roots = tuple(private_roots)
        self._loader = loader
        self.poll_interval_s = poll_interval_s
        self.failed_retry_s = failed_retry_s
        self.current: ModelHandle | None = None
        self._state = _FollowState()
        self._check_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_swap(self, listener: Callable[[ModelHandle], None]) -> None:
        """Call `listener(handle)` after each new version goes live (metrics, logs)."""
        self._state.listeners.append(listener)

    @property
    def live(self) -> LiveVersion | None:
        """What the registry named live at the last check (None: nothing promoted, or not checked)."""
        return self._state.live

    def require(self) -> ModelHandle:
        """The live handle, or ModelNotAvailable with the 'how to promote' line (-> 503)."""
        handle = self.current
        if handle is not None:
            return handle
        failed = self._state.failed
        if failed is not None:
            raise ModelNotAvailable(
                f"model {failed['name']} v{failed['version']} failed to load: {failed['error']}"
            )
        if self._state.registry_error is not None:
            raise ModelNotAvailable(f"no model loaded yet: {self._state.registry_error}")
        raise ModelNotAvailable(how_to_promote(self.registry.name, self.registry.alias, self.registry.stage))

    def check_now(self) -> bool:
        """Resolve the live version and load it if it changed; True when a swap happened."""
        with self._check_lock:
            return self._check()

    def _check(self) -> bool:
        st = self._state
        st.last_check_at = time.time()
        try:
            live = self.registry.resolve()
        except NewsmodelError as exc:
            public = without_paths(str(exc), self.private_roots)
            if st.registry_error != public:
                log.warning("registry check failed; serving what is loaded", error=str(exc))
            st.registry_error = public
            return False
        st.registry_error = None
        st.live = live
        if st.failed is not None and (
            live is None or (st.failed["name"], st.failed["version"]) != (live.name, live.version)
        ):
            st.failed = None  # the failed version is no longer live: its error is history (in the log)
        current = self.current
        if live is None:
            if current is not None and not st.unpromoted:
                # Keep serving rather than answer 503s; /v1/model shows registry_live_version null.
                log.warning("nothing is promoted any more; still serving", version=current.version)
            st.unpromoted = True
            return False
        st.unpromoted = False
        if current is not None and current.version == live.version and current.name == live.name:
            return False
        if self._recently_failed(live):
            return False
        log.info("loading model version", model=live.name, version=live.version, via=live.via)
        try:
            handle = self._loader(live)
        except NewsmodelError as exc:
            self._record_failure(live, str(exc))
            return False
        except Exception as exc:  # a broken artifact must never take the serving model down
            self._record_failure(live, f"{type(exc).__name__}: {exc}")
            return False
        old = self.current
        self.current = handle  # the atomic swap
        st.failed = None
        st.swaps += 1
        log.info(
            "model version live",
            model=handle.name,
            version=handle.version,
            via=handle.via,
            previous=old.version if old else None,
            load_seconds=round(handle.load_seconds, 2),
        )
        for listener in st.listeners:
            listener(handle)
        return True

    def _recently_failed(self, live: LiveVersion) -> bool:
        failed = self._state.failed
        return (
            failed is not None
            and failed["version"] == live.version
            and failed["name"] == live.name
            and time.time() - failed["at"] < self.failed_retry_s
        )

    def _record_failure(self, live: LiveVersion, error: str) -> None:
        public = without_paths(error, self.private_roots)
        self._state.failed = {"name": live.name, "version": live.version, "error": public, "at": time.time()}
        log.error(
            "model version failed to load; keeping the current one",
            model=live.name,
            version=live.version,
            serving=self.current.version if self.current else None,
            error=error,
        )

    def release(self) -> None:
        """Drop the loaded handle (the shadow challenger, once its run ended); the next check
        loads the live version again if there is one."""
        with self._check_lock:
            self.current = None

    def status(self) -> dict[str, Any]:
        """What /v1/model and /ready report about following."""
        st = self._state
        live = st.live
        return {
            "registered_model": self.registry.name,
            "alias": self.registry.alias,
            "stage": self.registry.stage,
            "registry_live_version": live.version if live else None,
            "registry_live_via": live.via if live else None,
            "registry_disagreement": live.disagreement if live else None,
            "registry_error": st.registry_error,
            "load_error": st.failed,
            "last_check_at": st.last_check_at,
            "poll_interval_s": self.poll_interval_s,
            "swaps": st.swaps,
        }

    # Background following -------------------------------------------------------------
    def start(self) -> None:
        """Check now (in the calling thread), then keep checking in a daemon thread."""
        self.check_now()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="model-follower", daemon=True)
        self._thread.start()

    def trigger(self) -> None:
        """Check as soon as possible (webhook): wakes the background thread."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.check_now()
            except Exception:  # keep following whatever happens; the error is logged
                log.exception("model follower check crashed")


def follower_from_settings(settings: AppSettings) -> ModelFollower:
    """The follower the API and each worker process build from their settings."""
    registry = RegistryClient(
        settings.mlflow_tracking_uri,
        settings.registered_model_name,
        alias=settings.model_alias,
        stage=settings.model_stage,
        storage_emulator_host=settings.storage_emulator_host,
    )

    def loader(live: LiveVersion) -> ModelHandle:
        return load_handle(
            registry,
            live,
            settings.models_dir,
            variant=settings.model_variant,
            intra_op_threads=settings.intra_op_threads,
            inter_op_threads=settings.ort_inter_op_threads,
            allow_spinning=settings.ort_allow_spinning,
        )

    return ModelFollower(
        registry,
        loader,
        poll_interval_s=settings.poll_interval_s,
        failed_retry_s=settings.failed_retry_s,
        private_roots=[
            (settings.models_dir, "<model cache>"),
            (settings.state_dir.resolve(), "<state dir>"),
            (Path.home(), "~"),
        ],
    )

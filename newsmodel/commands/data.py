"""`newsmodel data ...`: fetch built-in datasets, import labeled files, build leakage-free splits."""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = ["register"]

data_app = typer.Typer(help="Labeled data: fetch, import, split.", no_args_is_help=True)


def _column(value: str | None) -> str | int | None:
    return int(value) if value is not None and value.isdigit() else value


@data_app.command("schemes")
def schemes() -> None:
    """List the label schemes and their labels."""
    from newsmodel.labels import SCHEMES

    for scheme in SCHEMES.values():
        typer.echo(f"{scheme.key}: {', '.join(scheme.labels)}")


@data_app.command("fetch")
def fetch(
    name: str = typer.Argument("conflibert-cameo", help="Built-in dataset name."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Read from here instead of NEWSMODEL_DATA_DIR."),
) -> None:
    """Locate a built-in dataset locally (sha256-checked), downloading it into NEWSMODEL_DATA_DIR if absent."""
    from newsmodel.datasets import locate_builtin

    path = locate_builtin(name, data_dir)
    typer.echo(f"{name}: {path} (sha256 ok)")


@data_app.command("import")
def import_file(
    path: Path = typer.Argument(..., help="CSV, TSV, JSONL or Label Studio JSON export file."),
    scheme: str = typer.Option(
        ..., "--scheme", help="Label scheme the file's labels belong to (quad5, relation3, binary)."
    ),
    target_scheme: str = typer.Option(None, "--target-scheme", help="Store labels mapped into this scheme."),
    fmt: str = typer.Option(
        None,
        "--format",
        help="csv, tsv, jsonl or label-studio (default: from the file; a .json list is Label Studio's).",
    ),
    text_column: str = typer.Option(
        "text", "--text-column", help="Header name (or 0-based index with --no-header)."
    ),
    label_column: str = typer.Option("label", "--label-column"),
    group_column: str = typer.Option(
        None, "--group-column", help="Rows sharing a group never straddle splits."
    ),
    no_header: bool = typer.Option(False, "--no-header", help="The file has no header row."),
    label_map: str = typer.Option(
        None, "--label-map", help="RAW=LABEL,... e.g. 0=neutral,1=verbal_cooperation"
    ),
    name: str = typer.Option(
        None, "--name", help="Dataset name (default: the file name); versioned by content hash."
    ),
    strict: bool = typer.Option(False, "--strict", help="Refuse the file if any row is bad."),
    replace: bool = typer.Option(False, "--replace", help="Replace rows already imported from this file."),
    labeled_by: str = typer.Option(
        None, "--labeled-by", help="Who labeled the rows (where the file does not say; default: $USER)."
    ),
    benchmark_eligible: bool = typer.Option(
        False,
        "--benchmark-eligible",
        help="Allow a frozen benchmark to be carved from these rows (never by default).",
    ),
) -> None:
    """Import labeled sentences into the database (all rows or none); bad rows are listed by line.

    Each row keeps its provenance: annotator and time (Label Studio's, or --labeled-by), source file."""
    from newsmodel.labels.importers import ColumnMapping, file_origin, parse_label_map, read_labeled_file
    from newsmodel.labels.store import store_examples
    from newsmodel.settings import get_settings

    result = read_labeled_file(
        path,
        source_scheme=scheme,
        target_scheme=target_scheme,
        fmt=fmt,  # type: ignore[arg-type]
        columns=ColumnMapping(_column(text_column), _column(label_column), _column(group_column)),  # type: ignore[arg-type]
        has_header=not no_header,
        label_map=parse_label_map(label_map),
        origin=file_origin(path, name) if path.is_file() else None,
        strict=strict,
    )
    _report_and_store(
        result,
        store_examples,
        get_settings().database_url,
        replace,
        benchmark_eligible=benchmark_eligible,
        labeled_by=labeled_by or _os_user(),
    )


def _os_user() -> str | None:
    """The login name, or None where the environment has none (a container without $USER)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _report_and_store(  # type: ignore[no-untyped-def]
    result, store_examples, database_url: str, replace: bool, **provenance: object
) -> None:
    from newsmodel.db import open_database

    typer.echo(result.summary())
    for bad in result.bad_rows[:50]:
        typer.echo(f"  skipped line {bad.line}: {bad.reason}", err=True)
    with open_database(database_url) as db:
        with db.transaction() as session:  # all rows or none
            stored = store_examples(session, result, replace=replace, **provenance)
        if stored.already_present:
            typer.echo(
                f"{stored.origin}: already imported ({stored.already_present} rows); --replace to re-import"
            )
        else:
            typer.echo(f"{stored.origin}: stored {stored.inserted} rows (replaced {stored.replaced})")
            _request_retraining(db, f"{stored.inserted} labeled rows imported from {stored.origin}")


def _request_retraining(db, reason: str) -> None:  # type: ignore[no-untyped-def]
    """New labels are a retraining trigger; the import itself has already succeeded."""
    from sqlalchemy.exc import SQLAlchemyError

    from newsmodel.retraining.trigger import request_retraining

    try:
        typer.echo(request_retraining("data", reason, db=db).line())
    except SQLAlchemyError as exc:  # e.g. a database not upgraded to the retraining tables
        typer.echo(f"retraining not requested: {str(exc).splitlines()[0][:200]}", err=True)


@data_app.command("import-builtin")
def import_builtin(
    name: str = typer.Argument("conflibert-cameo"),
    scheme: str = typer.Option(None, "--scheme", help="Store in this scheme (default: the dataset's own)."),
    data_dir: Path = typer.Option(None, "--data-dir"),
    replace: bool = typer.Option(False, "--replace"),
) -> None:
    """Import a built-in dataset into the database."""
    from newsmodel.datasets import read_builtin
    from newsmodel.labels.store import store_examples
    from newsmodel.settings import get_settings

    _report_and_store(
        read_builtin(name, data_dir, scheme), store_examples, get_settings().database_url, replace
    )


@data_app.command("split")
def split(
    scheme: str = typer.Option("relation3", "--scheme"),
    builtin: str = typer.Option(None, "--builtin", help="Split a built-in dataset (e.g. conflibert-cameo)."),
    from_db: bool = typer.Option(False, "--from-db", help="Split the labeled examples in the database."),
    origin: list[str] = typer.Option(
        None, "--origin", help="With --from-db: only these origins (repeatable)."
    ),
    data_dir: Path = typer.Option(None, "--data-dir"),
    seed: int = typer.Option(13, "--seed"),
    val_frac: float = typer.Option(0.1, "--val-frac"),
    test_frac: float = typer.Option(0.1, "--test-frac"),
    near_dup_threshold: float = typer.Option(
        0.8, "--near-dup-threshold", help="MinHash Jaccard for near copies."
    ),
    min_per_class: int = typer.Option(10, "--min-per-class"),
    out: Path = typer.Option(None, "--out", help="Write train/validation/test.jsonl and manifest.json here."),
) -> None:
    """Build checked, grouped, stratified splits and print their sizes and fingerprint."""
    from newsmodel.datasets import build_splits, load_builtin
    from newsmodel.errors import DataError
    from newsmodel.labels.store import load_examples
    from newsmodel.settings import get_settings

    if bool(builtin) == from_db:
        raise DataError("give exactly one of --builtin NAME or --from-db")
    if builtin:
        examples = load_builtin(builtin, data_dir, scheme)
    else:
        from newsmodel.db import open_database

        with open_database(get_settings().database_url) as db, db.transaction() as session:
            examples = load_examples(session, scheme, origin or None)
    splits = build_splits(
        examples,
        scheme,
        seed=seed,
        val_frac=val_frac,
        test_frac=test_frac,
        near_dup_threshold=near_dup_threshold,
        min_per_class=min_per_class,
    )
    stats = splits.params["stats"]
    typer.echo(json.dumps({"fingerprint": splits.fingerprint, **stats}, ensure_ascii=False))  # type: ignore[dict-item]
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name_, rows in (
            ("train", splits.train),
            ("validation", splits.validation),
            ("test", splits.test),
        ):
            with (out / f"{name_}.jsonl").open("w", encoding="utf-8") as fh:
                for e in rows:
                    fh.write(
                        json.dumps({"text": e.text, "label": e.label, "group": e.group}, ensure_ascii=False)
                        + "\n"
                    )
        manifest = {"scheme": splits.scheme, "fingerprint": splits.fingerprint, "params": splits.params}
        (out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        typer.echo(f"wrote {out}/train.jsonl, validation.jsonl, test.jsonl, manifest.json")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")

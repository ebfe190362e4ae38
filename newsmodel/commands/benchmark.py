"""`newsmodel benchmark carve | show`: the frozen benchmark sets (thin shells over datasets.benchmark)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]

benchmark_app = typer.Typer(
    help="Frozen benchmark sets: carved once per dataset and label scheme, never trained on.",
    no_args_is_help=True,
)


@benchmark_app.command("carve")
def carve(
    overrides: list[str] = typer.Argument(None, help="Data config overrides: data=conflibert-quad5 ..."),
    name: str | None = typer.Option(
        None, "--name", help="Default: data.benchmark, else <data.name>-<scheme>."
    ),
    fraction: float = typer.Option(0.2, "--fraction", help="Share of the dataset to carve out."),
    seed: int = typer.Option(2026, "--seed"),
    version: int = typer.Option(1, "--version", help="Bump it to carve a new benchmark of the same name."),
    output: Path | None = typer.Option(None, "--output", help="Default: newsmodel/benchmarks (commit it)."),
) -> None:
    """Carve a benchmark (grouped, near-duplicate-aware, stratified) and write its file."""
    from newsmodel.datasets.benchmark import carve_benchmark, write_benchmark
    from newsmodel.training.config import compose_config
    from newsmodel.training.data import benchmark_source, source_examples

    data = compose_config(overrides or []).data
    bench_name = name or data.get("benchmark") or f"{data.name}-{data.scheme}"
    examples = source_examples(data, for_benchmark=True)
    benchmark = carve_benchmark(
        examples,
        str(data.scheme),
        str(bench_name),
        benchmark_source(data),
        fraction=fraction,
        seed=seed,
        version=version,
    )
    path = write_benchmark(benchmark, output)
    typer.echo(
        f"benchmark {benchmark.ref}: {len(benchmark.members)} of {len(examples)} sentences "
        f"{benchmark.label_counts()}, sha256 {benchmark.sha256[:16]}, written to {path}"
    )


@benchmark_app.command("show")
def show(
    name: str = typer.Argument(..., help="Benchmark name, e.g. conflibert-relation3."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where the dataset is (check its sentences)."
    ),
    directory: Path | None = typer.Option(None, "--dir", help="Default: newsmodel/benchmarks."),
) -> None:
    """Print a benchmark's size, labels and hash, and check its sentences are in the data."""
    from newsmodel.datasets.benchmark import load_benchmark
    from newsmodel.training.data import load_named_benchmark

    benchmark = load_benchmark(name, directory)
    typer.echo(
        f"{benchmark.ref}: {len(benchmark.members)} sentences {benchmark.label_counts()} in {benchmark.scheme}; "
        f"sha256 {benchmark.sha256}; carved from {benchmark.source} with {benchmark.carve}"
    )
    found = load_named_benchmark(name, data_dir, directory)
    typer.echo(f"all {len(found.examples)} sentences found in the data")


def register(app: typer.Typer) -> None:
    app.add_typer(benchmark_app, name="benchmark")

"""`GET /v1/relations/export`: the index as a CSV or Parquet file to cite, with its SHA-256.

The checksum is of the bytes sent (header `X-Content-SHA256`), so a reader can verify a file
passed around later; the version, method and computed time are in every row and in headers.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.deps import DbSession
from app.relations.deps import IndexDay, NameParam, VersionParam, choose, parse_pair
from newsmodel.errors import DataError
from newsmodel.relindex import export_index, indexed_versions

__all__ = ["router"]

router = APIRouter(tags=["relations"])


@router.get(
    "/v1/relations/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}}},
)
def export_relations(
    request: Request,
    session: DbSession,
    format: Annotated[Literal["csv", "parquet"], Query(description="File format")] = "csv",
    model_version: VersionParam = None,
    model_name: NameParam = None,
    all_versions: Annotated[
        bool, Query(description="Every indexed version of the model, not only the shown one")
    ] = False,
    pair: Annotated[str | None, Query(description="Only this pair (or direction)", max_length=64)] = None,
    start: Annotated[IndexDay | None, Query(description="First day (YYYY-MM-DD)")] = None,
    end: Annotated[IndexDay | None, Query(description="Last day (YYYY-MM-DD)")] = None,
) -> Response:
    """Index rows (every direction) of the live version by default, one row per pair-day-version."""
    if all_versions and model_version is not None:
        raise DataError("give model_version or all_versions, not both")
    chosen = choose(request, session, model_name, model_version)
    versions = (
        list(reversed(indexed_versions(session, chosen.version.model_name)))
        if all_versions
        else [chosen.version]
    )
    wanted = parse_pair(pair) if pair else None
    exported = export_index(session, versions, format, pair=wanted, start=start, end=end)
    tag = "all" if all_versions else f"v{chosen.version.model_version}"
    name = f"relation-index-{chosen.version.model_name}-{tag}.{format}"
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
    manifest = exported.manifest(safe)
    return Response(
        content=exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-SHA256": exported.sha256,
            "X-Model-Versions": ",".join(exported.versions),
            "X-Index-Method": exported.method or "",
            "X-Rows": str(exported.rows),
            # The whole manifest (what `newsmodel index export` writes beside the file), one line.
            "X-Export-Manifest": json.dumps(manifest, separators=(",", ":")),
        },
    )

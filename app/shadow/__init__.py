"""Shadow challenger on the serving side: the `challenger` alias's version reads the champion's
live sentences off the request path (see `mirror`); figures land in Postgres and the registry."""

from app.shadow.budget import InferenceBudget
from app.shadow.follow import shadow_from_settings
from app.shadow.metrics import ShadowMetrics
from app.shadow.mirror import NO_SHADOW, ShadowHook, ShadowMirror

__all__ = [
    "NO_SHADOW",
    "InferenceBudget",
    "ShadowHook",
    "ShadowMetrics",
    "ShadowMirror",
    "shadow_from_settings",
]

"""The providers a generated corpus comes from: neutral ids such as ``forum-a`` or ``isp-c``."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROVIDERS = 26

# (kind, provider_type, systems its logs name). iisp: information service (forum, blog,
# microblog ...); iasp: access service (broadband, mobile data).
_KINDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("forum", "iisp", ("api", "crm", "admin-console", "moderation")),
    ("blog", "iisp", ("api", "crm", "support-desk")),
    ("isp", "iasp", ("radius", "billing", "crm", "noc")),
    ("micro", "iisp", ("api", "crm", "admin-console", "risk")),
    ("video", "iisp", ("api", "support-desk", "recommendation")),
    ("mobile", "iasp", ("hlr", "billing", "crm")),
    ("news", "iisp", ("api", "cms", "crm")),
    ("broadband", "iasp", ("radius", "billing", "noc")),
]


@dataclass(frozen=True)
class Provider:
    provider_id: str
    provider_type: str
    systems: tuple[str, ...]
    weight: float  # share of background traffic before normalising


def make_providers(count: int) -> list[Provider]:
    """``count`` providers: forum-a, blog-b, isp-c, micro-d, video-e ... (bigger ones first)."""
    out = []
    for i in range(count):
        kind, ptype, systems = _KINDS[i % len(_KINDS)]
        out.append(Provider(f"{kind}-{chr(ord('a') + i)}", ptype, systems, 1.0 / (1.0 + 0.5 * i)))
    return out

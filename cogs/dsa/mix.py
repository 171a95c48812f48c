"""The community's difficulty mix (problems per post by difficulty), kept in one place: the
community's DSA settings (`dsa_settings.mix`). `/dsa settings mix:` and `/schedule dsa mix:` set
it; the daily post, `/dsa today` and `/schedule list` read it. A day's problems are fixed for
the whole community on first use, so one mix per community is what the posts can honour."""

from __future__ import annotations

from datetime import datetime

from cogs.dsa.rotation import DEFAULT_MIX
from content.problems import DIFFICULTIES
from storage.dsa import DsaRepository, DsaSettings


def mix_of(stored: DsaSettings | None) -> dict[str, int]:
    """The mix stored settings give, every difficulty named (default one easy, one medium)."""
    chosen = stored.mix if stored is not None else DEFAULT_MIX
    return {d: int(chosen.get(d, 0)) for d in DIFFICULTIES}


async def community_mix(repo: DsaRepository, community_id: int) -> dict[str, int]:
    return mix_of(await repo.settings(community_id))


async def set_community_mix(
    repo: DsaRepository, community_id: int, mix: dict[str, int], *, by: str, now: datetime
) -> dict[str, int]:
    """Store `mix` as the community's (its other settings kept); the mix it had before."""
    before = await community_mix(repo, community_id)
    await repo.save_mix(community_id, mix, by=by, now=now)
    return before

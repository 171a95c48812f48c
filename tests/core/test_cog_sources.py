"""Autocomplete sources bound to their cog (`@cog_source`): no lookup through app.cogs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest

from bot.cog import Cog, CogSource, cog_source, command
from bot.commands.context import AutocompleteContext, Context
from bot.commands.registry import Choice, Option, OptionType
from tests.helpers import actor, place


@cog_source
async def _colours(cog: PaletteCog, ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    return [Choice(c, c) for c in cog.colours if c.startswith(typed)]


_COLOUR = Option("colour", OptionType.STRING, "A colour", autocomplete=_colours)


class PaletteCog(Cog):
    name = "palette"

    def __init__(self, app: Any, colours: tuple[str, ...]) -> None:
        super().__init__(app)
        self.colours = colours

    @command("paint", "Paint", _COLOUR)
    async def paint(self, ctx: Context, colour: str | None) -> None:
        await ctx.reply(colour or "")


def typing_ctx() -> AutocompleteContext:
    return AutocompleteContext(app=cast(Any, None), actor=actor(), place=place(), options={})


async def test_each_cog_instance_gets_the_source_bound_to_itself() -> None:
    warm, cold = PaletteCog(None, ("red", "rose")), PaletteCog(None, ("blue", "rose"))
    (warm_opt,) = warm.commands()[0].options
    (cold_opt,) = cold.commands()[0].options
    assert warm_opt.autocomplete is not None and cold_opt.autocomplete is not None
    assert [c.value for c in await warm_opt.autocomplete(typing_ctx(), "r")] == ["red", "rose"]
    assert [c.value for c in await cold_opt.autocomplete(typing_ctx(), "r")] == ["rose"]
    assert isinstance(_COLOUR.autocomplete, CogSource)  # the declaration itself is unchanged


async def test_an_unbound_source_says_so() -> None:
    with pytest.raises(TypeError, match="before its cog is loaded"):
        await _colours(typing_ctx(), "r")

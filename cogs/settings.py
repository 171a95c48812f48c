"""`/settings ...`: moderators set the community's time zone and who counts as a moderator.

Moderator-only (checked by the dispatcher on every call); every change is written to the audit
log in the same transaction as the change itself.
"""

from __future__ import annotations

from bot.cog import Cog, command
from bot.commands.context import Context, RoleRef, UserRef
from bot.commands.registry import Choice, Option, OptionType, Permission
from bot.messages import Message, Tone, text
from storage.communities import ModeratorGrant


class SettingsCog(Cog):
    name = "settings"
    description = "Moderators set the community's time zone and who counts as a moderator."
    groups = {
        "settings": "Moderators: community time zone and who counts as a moderator",
    }

    @command(
        "settings timezone",
        "Set the community's time zone (the default for new schedules)",
        Option("zone", OptionType.TIMEZONE, "IANA zone, e.g. Europe/London (empty: show it)"),
        permission=Permission.MODERATOR,
        private=True,
        examples=(
            "/settings timezone",
            "/settings timezone Europe/London",
            "/settings timezone America/New_York",
        ),
        help="Without a zone, shows the current one. Existing schedules keep the zone they were "
        "set in; change one by scheduling it again with the same name.",
    )
    async def timezone(self, ctx: Context, zone: str | None) -> None:
        old = ctx.community.timezone
        if zone is None:
            await ctx.reply(
                f"The community's time zone is **{old}**. Change it with "
                "`/settings timezone <zone>`, e.g. `/settings timezone Europe/London`."
            )
            return
        if old == zone:
            await ctx.reply(f"The time zone is already {zone}.")
            return
        async with self.app.db.transaction() as conn:
            await self.app.communities.set_timezone(ctx.community.id, zone, conn=conn)
            await ctx.audit("settings.timezone", "settings:timezone", old, zone, conn=conn)
        await ctx.reply(
            Message(
                body=f"Time zone set to **{zone}** (was {old}). New schedules use it by default.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "settings moderator-role",
        "Give a role moderator rights (Discord), or take them away",
        Option("role", OptionType.ROLE, "The role", required=True),
        Option(
            "action",
            OptionType.STRING,
            "add (default) or remove",
            choices=(Choice("add", "add"), Choice("remove", "remove")),
            default="add",
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/settings moderator-role @mods", "/settings moderator-role @mods remove"),
    )
    async def moderator_role(self, ctx: Context, role: RoleRef, action: str) -> None:
        await self._grant(ctx, "role", role.id, role.name, str(role), action == "add")

    @command(
        "settings moderators add",
        "Give a member moderator rights (Slack, console)",
        Option("user", OptionType.USER, "The member", required=True),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/settings moderators add @ana",),
    )
    async def moderators_add(self, ctx: Context, user: UserRef) -> None:
        await self._grant(ctx, "user", user.id, user.name, str(user), True)

    @command(
        "settings moderators remove",
        "Take moderator rights from a member",
        Option("user", OptionType.USER, "The member", required=True),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/settings moderators remove @ana",),
    )
    async def moderators_remove(self, ctx: Context, user: UserRef) -> None:
        await self._grant(ctx, "user", user.id, user.name, str(user), False)

    async def _grant(
        self, ctx: Context, kind: str, ref_id: str, ref_name: str, label: str, add: bool
    ) -> None:
        communities = self.app.communities
        community_id = ctx.community.id
        async with self.app.db.transaction() as conn:  # the change and its audit entry, together
            before = await communities.moderator_grants(community_id, conn=conn)
            if add:
                grant = ModeratorGrant(kind, ref_id, ref_name)
                changed = await communities.grant_moderator(community_id, grant, conn=conn)
            else:
                changed = await communities.revoke_moderator(community_id, kind, ref_id, conn=conn)
            if changed:
                after = await communities.moderator_grants(community_id, conn=conn)
                action = f"settings.moderators.{'add' if add else 'remove'}"
                await ctx.audit(
                    action,
                    "settings:moderators",
                    _grants_value(before),
                    _grants_value(after),
                    conn=conn,
                )
        if add:
            done, same = f"{label} is now a moderator.", f"{label} is already a moderator."
        else:
            done = f"{label} is no longer a moderator."
            same = f"{label} was not a configured moderator."
            if kind == "user":
                same += " Platform admins (Manage Server, workspace admins) always are."
        await ctx.reply(Message(body=done, tone=Tone.SUCCESS) if changed else text(same))


def _grants_value(grants: list[ModeratorGrant]) -> list[str]:
    return [f"{g.kind}:{g.ref_name}" for g in grants]

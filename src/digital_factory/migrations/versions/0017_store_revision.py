"""store revisions: a counter per topic that writes move on, so server processes know when what they kept of
a read is out of date; the epic list's order indexed (revision 0017, after 0016, 2026-12-05)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0017", "0016"

EPIC_ORDER = ("ix_portfolio_epic_moved", ("state_entered_at", "id"))


def upgrade() -> None:
    op.create_table(
        "store_revision",
        ddl.string("topic", 40),
        ddl.big_integer("revision"),
        ddl.primary_key("store_revision", "topic"),
    )
    ddl.create_indexes("portfolio_epic", EPIC_ORDER)


def downgrade() -> None:
    ddl.drop_indexes("portfolio_epic", EPIC_ORDER)
    ddl.drop_table("store_revision")

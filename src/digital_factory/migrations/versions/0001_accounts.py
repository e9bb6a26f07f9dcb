"""accounts and key sequences (revision 0001, after none, 2026-11-28)."""

from __future__ import annotations

from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0001", None


AUDIT_TABLE = "accounts_audit_event"
AUDIT_EVENT_INDEXES = (
    "action",
    "actor_user_id",
    "at",
    ("ix_accounts_audit_event_object", ["object_type", "object_id"]),
)


def _append_only(dialect: str) -> list[str]:
    # kept inline: revisions never import product code, which may change after they are written
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only'); END",
            f"CREATE TRIGGER {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_TABLE} is append-only'); END",
        ]
    return [
        f"CREATE FUNCTION {AUDIT_TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{AUDIT_TABLE} is append-only'; END $$",
        f"CREATE TRIGGER {AUDIT_TABLE}_no_change BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {AUDIT_TABLE}_refuse()",
    ]


def _drop_append_only(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_update", f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_delete"]
    return [
        f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_no_change ON {AUDIT_TABLE}",
        f"DROP FUNCTION IF EXISTS {AUDIT_TABLE}_refuse()",
    ]


def upgrade() -> None:
    op.create_table(
        "accounts_audit_event",
        ddl.integer("id"),
        ddl.timestamp("at"),
        ddl.integer("actor_user_id", nullable=True),
        ddl.string("actor_name", 100),
        ddl.integer("token_id", nullable=True),
        ddl.string("origin", 10),
        ddl.string("ip", 64, nullable=True),
        ddl.string("action", 80),
        ddl.string("object_type", 40),
        ddl.string("object_id", 80, nullable=True),
        ddl.string("outcome", 20),
        ddl.json("before", nullable=True),
        ddl.json("after", nullable=True),
        ddl.text("detail", nullable=True),
        ddl.primary_key("accounts_audit_event"),
    )
    ddl.create_indexes("accounts_audit_event", *AUDIT_EVENT_INDEXES)

    op.create_table(
        "accounts_user",
        ddl.integer("id"),
        ddl.string("username", 64),
        ddl.string("display_name", 200),
        ddl.string("role", 20),
        ddl.string("password_hash", 200, nullable=True),
        ddl.boolean("must_change_password"),
        ddl.boolean("is_active"),
        ddl.timestamp("created_at"),
        ddl.timestamp("last_login_at", nullable=True),
        ddl.primary_key("accounts_user"),
        ddl.unique("accounts_user", "username"),
    )
    op.create_table(
        "store_key_sequence",
        ddl.string("prefix", 10),
        ddl.integer("last_value"),
        ddl.primary_key("store_key_sequence", "prefix"),
    )
    op.create_table(
        "accounts_api_token",
        ddl.integer("id"),
        ddl.string("public_id", 16),
        ddl.integer("user_id"),
        ddl.string("name", 100),
        ddl.string("digest", 64),
        ddl.json("scopes", nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.timestamp("last_used_at", nullable=True),
        ddl.foreign_key("accounts_api_token", "user_id", "accounts_user", ondelete="CASCADE"),
        ddl.primary_key("accounts_api_token"),
        ddl.unique("accounts_api_token", "public_id"),
    )
    ddl.create_indexes("accounts_api_token", "user_id")

    op.create_table(
        "accounts_web_session",
        ddl.integer("id"),
        ddl.string("digest", 64),
        ddl.integer("user_id"),
        ddl.string("csrf_token", 64),
        ddl.timestamp("created_at"),
        ddl.timestamp("last_seen_at"),
        ddl.timestamp("expires_at"),
        ddl.string("ip", 64, nullable=True),
        ddl.string("user_agent", 300, nullable=True),
        ddl.foreign_key("accounts_web_session", "user_id", "accounts_user", ondelete="CASCADE"),
        ddl.primary_key("accounts_web_session"),
        ddl.unique("accounts_web_session", "digest"),
    )
    ddl.create_indexes("accounts_web_session", "expires_at", "user_id")

    for statement in _append_only(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in _drop_append_only(op.get_bind().dialect.name):
        op.execute(statement)
    ddl.drop_table("accounts_web_session", "expires_at", "user_id")
    ddl.drop_table("accounts_api_token", "user_id")
    ddl.drop_table("store_key_sequence")
    ddl.drop_table("accounts_user")
    ddl.drop_table("accounts_audit_event", *AUDIT_EVENT_INDEXES)

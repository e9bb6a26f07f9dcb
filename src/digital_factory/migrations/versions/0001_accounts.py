"""accounts and key sequences (revision 0001, after none, 2026-11-28)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0001", None


AUDIT_TABLE = "accounts_audit_event"


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
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=80), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_audit_event")),
    )
    with op.batch_alter_table("accounts_audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_audit_event_actor_user_id"), ["actor_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_audit_event_at"), ["at"], unique=False)
        batch_op.create_index("ix_accounts_audit_event_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "accounts_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_user")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_user_username")),
    )
    op.create_table(
        "store_key_sequence",
        sa.Column("prefix", sa.String(length=10), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_store_key_sequence")),
    )
    op.create_table(
        "accounts_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["accounts_user.id"],
            name=op.f("fk_accounts_api_token_user_id_accounts_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_api_token")),
        sa.UniqueConstraint("public_id", name=op.f("uq_accounts_api_token_public_id")),
    )
    with op.batch_alter_table("accounts_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "accounts_web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["accounts_user.id"],
            name=op.f("fk_accounts_web_session_user_id_accounts_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts_web_session")),
        sa.UniqueConstraint("digest", name=op.f("uq_accounts_web_session_digest")),
    )
    with op.batch_alter_table("accounts_web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_web_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_web_session_user_id"), ["user_id"], unique=False)

    for statement in _append_only(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in _drop_append_only(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("accounts_web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_web_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_web_session_expires_at"))

    op.drop_table("accounts_web_session")
    with op.batch_alter_table("accounts_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_api_token_user_id"))

    op.drop_table("accounts_api_token")
    op.drop_table("store_key_sequence")
    op.drop_table("accounts_user")
    with op.batch_alter_table("accounts_audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_audit_event_object")
        batch_op.drop_index(batch_op.f("ix_accounts_audit_event_at"))
        batch_op.drop_index(batch_op.f("ix_accounts_audit_event_actor_user_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_audit_event_action"))

    op.drop_table("accounts_audit_event")

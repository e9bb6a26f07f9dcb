"""telemetry: series, points, rollups, logs, feedback, idempotency; ingestion key counts (revision 0012, after 0011, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0012", "0011"


def upgrade() -> None:
    op.create_table(
        "telemetry_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_telemetry_feedback_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_feedback")),
        sa.UniqueConstraint("digest", name=op.f("uq_telemetry_feedback_digest")),
    )
    with op.batch_alter_table("telemetry_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_telemetry_feedback_service_time", ["service_id", "time_ns"], unique=False)

    op.create_table(
        "telemetry_idempotency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_telemetry_idempotency_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_idempotency")),
        sa.UniqueConstraint("service_id", "key", name=op.f("uq_telemetry_idempotency_service_id_key")),
    )
    op.create_table(
        "telemetry_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("time_ns", sa.BigInteger(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("severity_rank", sa.SmallInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_telemetry_log_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_log")),
        sa.UniqueConstraint("service_id", "digest", name=op.f("uq_telemetry_log_service_id_digest")),
    )
    with op.batch_alter_table("telemetry_log", schema=None) as batch_op:
        batch_op.create_index("ix_telemetry_log_service_time", ["service_id", "time_ns"], unique=False)

    op.create_table(
        "telemetry_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("attributes_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_time_ns", sa.BigInteger(), nullable=True),
        sa.Column("cumulative_start_ns", sa.BigInteger(), nullable=True),
        sa.Column("cumulative_value", sa.Float(), nullable=True),
        sa.Column("cumulative_buckets", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["catalog_service.id"],
            name=op.f("fk_telemetry_series_service_id_catalog_service"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_series")),
        sa.UniqueConstraint(
            "service_id",
            "environment",
            "metric",
            "attributes_key",
            name=op.f("uq_telemetry_series_service_id_environment_metric_attributes_key"),
        ),
    )
    with op.batch_alter_table("telemetry_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_telemetry_series_metric"), ["metric"], unique=False)

    op.create_table(
        "telemetry_point",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time_ns", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("buckets", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["telemetry_series.id"],
            name=op.f("fk_telemetry_point_series_id_telemetry_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "time_ns", name=op.f("pk_telemetry_point")),
    )
    op.create_table(
        "telemetry_rollup",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("resolution", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_ns", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("last_ns", sa.BigInteger(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["telemetry_series.id"],
            name=op.f("fk_telemetry_rollup_series_id_telemetry_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "resolution", "start_ns", name=op.f("pk_telemetry_rollup")),
    )
    with op.batch_alter_table("catalog_ingestion_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_points", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("rejected_points", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("catalog_ingestion_key", schema=None) as batch_op:
        batch_op.drop_column("rejected_points")
        batch_op.drop_column("accepted_points")

    op.drop_table("telemetry_rollup")
    op.drop_table("telemetry_point")
    with op.batch_alter_table("telemetry_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemetry_series_metric"))

    op.drop_table("telemetry_series")
    with op.batch_alter_table("telemetry_log", schema=None) as batch_op:
        batch_op.drop_index("ix_telemetry_log_service_time")

    op.drop_table("telemetry_log")
    op.drop_table("telemetry_idempotency")
    with op.batch_alter_table("telemetry_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_telemetry_feedback_service_time")

    op.drop_table("telemetry_feedback")

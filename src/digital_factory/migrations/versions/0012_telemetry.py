"""telemetry: series, points, rollups, logs, feedback, idempotency; ingestion key counts (revision 0012, after 0011, 2026-12-04)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from digital_factory.migrations import ddl

revision, down_revision = "0012", "0011"


def upgrade() -> None:
    op.create_table(
        "telemetry_feedback",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("environment", 40),
        ddl.big_integer("time_ns"),
        ddl.string("metric", 200),
        ddl.floating("score"),
        ddl.text("text"),
        ddl.json("attributes"),
        ddl.string("digest", 64),
        ddl.foreign_key("telemetry_feedback", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("telemetry_feedback"),
        ddl.unique("telemetry_feedback", "digest"),
    )
    ddl.create_indexes("telemetry_feedback", ("ix_telemetry_feedback_service_time", ["service_id", "time_ns"]))

    op.create_table(
        "telemetry_idempotency",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("key", 200),
        ddl.string("request_digest", 64),
        ddl.json("response"),
        ddl.timestamp("created_at"),
        ddl.foreign_key("telemetry_idempotency", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("telemetry_idempotency"),
        ddl.unique("telemetry_idempotency", "service_id", "key"),
    )
    op.create_table(
        "telemetry_log",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("environment", 40),
        ddl.big_integer("time_ns"),
        ddl.string("severity", 8),
        ddl.small_integer("severity_rank"),
        ddl.text("body"),
        ddl.string("trace_id", 32, nullable=True),
        ddl.json("attributes"),
        ddl.string("digest", 64),
        ddl.foreign_key("telemetry_log", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("telemetry_log"),
        ddl.unique("telemetry_log", "service_id", "digest"),
    )
    ddl.create_indexes("telemetry_log", ("ix_telemetry_log_service_time", ["service_id", "time_ns"]))

    op.create_table(
        "telemetry_series",
        ddl.integer("id"),
        ddl.integer("service_id"),
        ddl.string("environment", 40),
        ddl.string("metric", 200),
        ddl.string("kind", 12),
        ddl.string("unit", 64),
        ddl.json("attributes"),
        ddl.string("attributes_key", 64),
        ddl.timestamp("created_at"),
        ddl.big_integer("last_time_ns", nullable=True),
        ddl.big_integer("cumulative_start_ns", nullable=True),
        ddl.floating("cumulative_value", nullable=True),
        ddl.json("cumulative_buckets", nullable=True),
        ddl.foreign_key("telemetry_series", "service_id", "catalog_service", ondelete="CASCADE"),
        ddl.primary_key("telemetry_series"),
        ddl.unique("telemetry_series", "service_id", "environment", "metric", "attributes_key"),
    )
    ddl.create_indexes("telemetry_series", "metric")

    op.create_table(
        "telemetry_point",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time_ns", sa.BigInteger(), autoincrement=False, nullable=False),
        ddl.floating("value"),
        ddl.json("buckets", nullable=True),
        ddl.foreign_key("telemetry_point", "series_id", "telemetry_series", ondelete="CASCADE"),
        ddl.primary_key("telemetry_point", "series_id", "time_ns"),
    )
    op.create_table(
        "telemetry_rollup",
        sa.Column("series_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("resolution", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_ns", sa.BigInteger(), autoincrement=False, nullable=False),
        ddl.big_integer("count"),
        ddl.floating("total"),
        ddl.floating("minimum"),
        ddl.floating("maximum"),
        ddl.big_integer("last_ns"),
        ddl.floating("last"),
        ddl.foreign_key("telemetry_rollup", "series_id", "telemetry_series", ondelete="CASCADE"),
        ddl.primary_key("telemetry_rollup", "series_id", "resolution", "start_ns"),
    )
    with op.batch_alter_table("catalog_ingestion_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accepted_points", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("rejected_points", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("catalog_ingestion_key", schema=None) as batch_op:
        batch_op.drop_column("rejected_points")
        batch_op.drop_column("accepted_points")

    ddl.drop_table("telemetry_rollup")
    ddl.drop_table("telemetry_point")
    ddl.drop_table("telemetry_series", "metric")
    ddl.drop_table("telemetry_log", ("ix_telemetry_log_service_time", ["service_id", "time_ns"]))
    ddl.drop_table("telemetry_idempotency")
    ddl.drop_table("telemetry_feedback", ("ix_telemetry_feedback_service_time", ["service_id", "time_ns"]))

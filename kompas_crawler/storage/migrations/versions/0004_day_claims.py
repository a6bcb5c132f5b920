"""Cooperating backfill workers: ``day_claims`` (which worker walks which day, under a lease);
``index_days`` keyed by ``site`` too (the days stored so far are Global's); a ``kind`` on
``crawl_runs`` (incremental | backfill), and the one-running-crawl index only over incremental
runs, so backfill workers run side by side.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_claims",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer()),
        sa.Column("process_started", sa.String(32)),
        sa.Column("run_id", sa.Integer()),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("released_at", sa.DateTime()),
        sa.Column("walks", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer()),
        sa.Column("stored", sa.Integer()),
    )
    op.create_index("ix_day_claims_status", "day_claims", ["site", "status", "day"])
    # A new primary key: the table is small (a row a day), so it is made again and refilled.
    bind = op.get_bind()
    old = sa.table(
        "index_days",
        sa.column("day", sa.Date()),
        sa.column("completed_at", sa.DateTime()),
        sa.column("article_count", sa.Integer()),
    )
    rows = [dict(row._mapping) for row in bind.execute(sa.select(old))]
    op.drop_table("index_days")
    new = op.create_table(
        "index_days",
        sa.Column("site", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
    )
    if rows:
        op.bulk_insert(new, [{"site": "global", **row} for row in rows])
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="incremental")
        )
        batch.drop_index("uq_crawl_runs_one_running")
    op.execute(
        "UPDATE crawl_runs SET kind = 'backfill' WHERE CAST(arguments AS TEXT) LIKE '%start_date%' "
        "OR CAST(arguments AS TEXT) LIKE '%end_date%'"
    )
    op.create_index(
        "uq_crawl_runs_one_incremental",
        "crawl_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running' AND kind = 'incremental'"),
        postgresql_where=sa.text("status = 'running' AND kind = 'incremental'"),
    )


def downgrade() -> None:
    op.drop_index("uq_crawl_runs_one_incremental", table_name="crawl_runs")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("kind")
    op.create_index(
        "uq_crawl_runs_one_running",
        "crawl_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    bind = op.get_bind()
    old = sa.table(
        "index_days",
        sa.column("site", sa.String()),
        sa.column("day", sa.Date()),
        sa.column("completed_at", sa.DateTime()),
        sa.column("article_count", sa.Integer()),
    )
    rows = [
        {"day": row.day, "completed_at": row.completed_at, "article_count": row.article_count}
        for row in bind.execute(sa.select(old).where(old.c.site == "global"))
    ]
    op.drop_table("index_days")
    new = op.create_table(
        "index_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
    )
    if rows:
        op.bulk_insert(new, rows)
    op.drop_table("day_claims")

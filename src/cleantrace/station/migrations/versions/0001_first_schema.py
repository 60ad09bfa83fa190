"""The first schema: volunteers, consents, campaigns, assignments, sessions, episodes, reviews, payments,
audit and settings (what the versioned schema called version 1).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("settings", sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table("volunteers",
                    sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("worker_id", sa.String(128)),
                    sa.Column("source", sa.String(32), nullable=False),
                    sa.Column("created", sa.String(32), nullable=False))
    op.create_index("ix_volunteers_worker_id", "volunteers", ["worker_id"])
    op.create_table("consents",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("volunteer_id", sa.String(64), sa.ForeignKey("volunteers.id"), nullable=False),
                    sa.Column("version", sa.String(64), nullable=False),
                    sa.Column("given", sa.String(32), nullable=False),
                    sa.Column("withdrawn", sa.String(32)))
    op.create_index("ix_consents_volunteer_id", "consents", ["volunteer_id"])
    op.create_table("campaigns",
                    sa.Column("id", sa.String(64), primary_key=True),
                    sa.Column("spec", sa.Text, nullable=False),
                    sa.Column("created", sa.String(32), nullable=False))
    op.create_table("assignments",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.id"), nullable=False),
                    sa.Column("volunteer_id", sa.String(64), sa.ForeignKey("volunteers.id"), nullable=False),
                    sa.Column("task", sa.String(128), nullable=False),
                    sa.Column("seed", sa.Integer, nullable=False),
                    sa.Column("episode_id", sa.String(256)),
                    sa.Column("created", sa.String(32), nullable=False))
    op.create_index("ix_assignments_campaign_id", "assignments", ["campaign_id"])
    op.create_index("ix_assignments_volunteer_id", "assignments", ["volunteer_id"])
    op.create_table("sessions",
                    sa.Column("token", sa.String(64), primary_key=True),
                    sa.Column("volunteer_id", sa.String(64), sa.ForeignKey("volunteers.id"), nullable=False),
                    sa.Column("episode_id", sa.String(256), nullable=False),
                    sa.Column("opened", sa.String(32), nullable=False),
                    sa.Column("closed", sa.String(32)))
    op.create_index("ix_sessions_volunteer_id", "sessions", ["volunteer_id"])
    op.create_table("episodes",
                    sa.Column("id", sa.String(256), primary_key=True),
                    sa.Column("folder", sa.Text, nullable=False),
                    sa.Column("volunteer_id", sa.String(64), sa.ForeignKey("volunteers.id"), nullable=False),
                    sa.Column("task", sa.String(128), nullable=False),
                    sa.Column("seed", sa.Integer, nullable=False),
                    sa.Column("state", sa.String(32), nullable=False),
                    sa.Column("message", sa.Text, nullable=False),
                    sa.Column("opened", sa.String(32), nullable=False),
                    sa.Column("updated", sa.String(32), nullable=False))
    op.create_index("ix_episodes_volunteer_id", "episodes", ["volunteer_id"])
    op.create_table("reviews",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("episode_id", sa.String(256), sa.ForeignKey("episodes.id"), nullable=False),
                    sa.Column("reviewer", sa.String(64), nullable=False),
                    sa.Column("decision", sa.String(16), nullable=False),
                    sa.Column("reason", sa.Text, nullable=False),
                    sa.Column("at", sa.String(32), nullable=False))
    op.create_index("ix_reviews_episode_id", "reviews", ["episode_id"])
    op.create_table("payments",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("volunteer_id", sa.String(64), sa.ForeignKey("volunteers.id"), nullable=False),
                    sa.Column("episode_id", sa.String(256)),
                    sa.Column("amount", sa.Float, nullable=False),
                    sa.Column("currency", sa.String(8), nullable=False),
                    sa.Column("at", sa.String(32), nullable=False))
    op.create_index("ix_payments_volunteer_id", "payments", ["volunteer_id"])
    op.create_table("audit",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("at", sa.String(32), nullable=False),
                    sa.Column("actor", sa.String(128), nullable=False),
                    sa.Column("action", sa.String(64), nullable=False),
                    sa.Column("subject", sa.String(256), nullable=False),
                    sa.Column("detail", sa.Text, nullable=False))


def downgrade() -> None:
    for table in ("audit", "payments", "reviews", "episodes", "sessions", "assignments", "campaigns", "consents",
                  "volunteers", "settings"):
        op.drop_table(table)

"""Episodes learn how long the volunteer recorded (seconds; for pay per hour).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("episodes", sa.Column("seconds_on_task", sa.Float, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("seconds_on_task")

"""threat summaries: accepted summaries and sync attempts

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-03 16:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import buurt.db


revision: str = '0003'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'threat_summary',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('schema_version', sa.Integer(), nullable=False),
        sa.Column('key_id', String(length=64), nullable=False),
        sa.Column('source', String(length=10), nullable=False),
        sa.Column('origin', String(length=500), nullable=False),
        sa.Column('etag', String(length=200), nullable=False),
        sa.Column('issued_at', buurt.db.UTCDateTime(), nullable=False),
        sa.Column('expires_at', buurt.db.UTCDateTime(), nullable=False),
        sa.Column('received_at', buurt.db.UTCDateTime(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('signature', String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('threat_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_threat_summary_sequence'),
                              ['sequence'], unique=True)

    op.create_table(
        'threat_sync_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempted_at', buurt.db.UTCDateTime(), nullable=False),
        sa.Column('source', String(length=10), nullable=False),
        sa.Column('origin', String(length=500), nullable=False),
        sa.Column('outcome', String(length=20), nullable=False),
        sa.Column('reason', String(length=40), nullable=False),
        sa.Column('detail', String(length=500), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=True),
        sa.Column('summary_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['summary_id'], ['threat_summary.id'],
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('threat_sync_attempt')
    with op.batch_alter_table('threat_summary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_threat_summary_sequence'))

    op.drop_table('threat_summary')

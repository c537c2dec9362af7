"""notice board and the scheduler's job store

Adds `notice` (each scheduled notice once, by its unique key) and
`apscheduler_jobs`, with exactly the columns and index that APScheduler's
SQLAlchemyJobStore defines, so that the job store never creates it itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import buurt.db


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        'notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', text(length=20), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('kind', text(length=20), nullable=False),
        sa.Column('due_at', buurt.db.UTCDateTime(), nullable=False),
        sa.Column('status', text(length=10), nullable=False),
        sa.Column('audience', text(length=20), nullable=False),
        sa.Column('title', text(length=200), nullable=False),
        sa.Column('about_at', buurt.db.UTCDateTime(), nullable=True),
        sa.Column('detail', text(length=60), nullable=False),
        sa.Column('push_state', text(length=10), nullable=False),
        sa.Column('seen_at', buurt.db.UTCDateTime(), nullable=True),
        sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source', 'ref_id', 'kind', 'due_at',
                            name='uq_notice_once'),
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_created_at'),
                              ['created_at'], unique=False)

    op.create_table(
        'apscheduler_jobs',
        sa.Column('id', sa.Unicode(length=191), nullable=False),
        sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
        sa.Column('job_state', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'),
                              ['next_run_time'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))
    op.drop_table('apscheduler_jobs')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_created_at'))
    op.drop_table('notice')

"""drills, hackathons, reviews, reservations and calendar feeds

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import buurt.db


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('calendarfeed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )
    with op.batch_alter_table('calendarfeed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendarfeed_token'),
            ['token'], unique=True)

    op.create_table('drill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description',
        sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('meeting_point',
        sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('starts_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('ends_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('rrule', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('checkin_code',
        sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_id'], ['drill.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_checkin_code'),
            ['checkin_code'], unique=True)
        batch_op.create_index(batch_op.f('ix_drill_series_id'),
            ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drill_starts_at'),
            ['starts_at'], unique=False)

    op.create_table('hackathon',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description',
        sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('starts_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('ends_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hackathon', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hackathon_starts_at'),
            ['starts_at'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drill_id', 'household_id')
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_drill_id'),
            ['drill_id'], unique=False)

    op.create_table('idea',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hackathon_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hackathon_id'], ['hackathon.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idea_hackathon_id'),
            ['hackathon_id'], unique=False)

    op.create_table('lesson',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_drill_id'),
            ['drill_id'], unique=False)

    op.create_table('outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hackathon_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hackathon_id'], ['hackathon.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_hackathon_id'),
            ['hackathon_id'], unique=False)

    op.create_table('readinesssnapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('moment', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('taken_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drill_id', 'moment')
    )
    with op.batch_alter_table('readinesssnapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readinesssnapshot_drill_id'),
            ['drill_id'], unique=False)

    op.create_table('reservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('drill_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('ends_at', buurt.db.UTCDateTime(), nullable=False),
    sa.Column('borrowed_at', buurt.db.UTCDateTime(), nullable=True),
    sa.Column('returned_at', buurt.db.UTCDateTime(), nullable=True),
    sa.Column('return_condition',
        sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('cancelled_at', buurt.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_drill_id'),
            ['drill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservation_resource_id'),
            ['resource_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('went_well',
        sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('went_badly',
        sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drill_id')
    )
    op.create_table('rsvp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('answered_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drill_id', 'household_id')
    )
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rsvp_drill_id'),
            ['drill_id'], unique=False)

    op.create_table('statusreport',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('form_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reported_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('drill_id', 'household_id', 'form_key')
    )
    with op.batch_alter_table('statusreport', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statusreport_drill_id'),
            ['drill_id'], unique=False)

    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('drill_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=True),
    sa.Column('description',
        sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('owner_household_id', sa.Integer(), nullable=True),
    sa.Column('owner_member_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', buurt.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', buurt.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['drill_id'], ['drill.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_household_id'],
        ['household.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_drill_id'),
            ['drill_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_drill_id'))

    op.drop_table('action')
    with op.batch_alter_table('statusreport', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statusreport_drill_id'))

    op.drop_table('statusreport')
    with op.batch_alter_table('rsvp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rsvp_drill_id'))

    op.drop_table('rsvp')
    op.drop_table('review')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_resource_id'))
        batch_op.drop_index(batch_op.f('ix_reservation_drill_id'))

    op.drop_table('reservation')
    with op.batch_alter_table('readinesssnapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readinesssnapshot_drill_id'))

    op.drop_table('readinesssnapshot')
    with op.batch_alter_table('outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_hackathon_id'))

    op.drop_table('outcome')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_drill_id'))

    op.drop_table('lesson')
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idea_hackathon_id'))

    op.drop_table('idea')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_drill_id'))

    op.drop_table('checkin')
    with op.batch_alter_table('hackathon', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hackathon_starts_at'))

    op.drop_table('hackathon')
    with op.batch_alter_table('drill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drill_starts_at'))
        batch_op.drop_index(batch_op.f('ix_drill_series_id'))
        batch_op.drop_index(batch_op.f('ix_drill_checkin_code'))

    op.drop_table('drill')
    with op.batch_alter_table('calendarfeed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendarfeed_token'))

    op.drop_table('calendarfeed')

"""resource label tokens: a short unguessable code per shared item

Every resource gets the code that its QR label points at (/r/<token>).
Existing rows are given one here, before the column becomes required.

Revision ID: 0006
Revises: 0005
"""
import secrets
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A migration is a snapshot of its day, so it keeps its own copy of the
# token recipe instead of importing the model's, which may change later.
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
LENGTH = 10


def _new_token() -> str:
    """Return a random base32 code of LENGTH characters."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def upgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "label_token", sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=True))

    connection = op.get_bind()
    resource = sa.table("resource", sa.column("id", sa.Integer),
                        sa.column("label_token", sa.String))
    ids = connection.execute(sa.select(resource.c.id)).scalars().all()
    tokens: set[str] = set()
    for resource_id in ids:
        token = _new_token()
        while token in tokens:
            token = _new_token()
        tokens.add(token)
        connection.execute(resource.update()
                           .where(resource.c.id == resource_id)
                           .values(label_token=token))

    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.alter_column("label_token", nullable=False,
                              existing_type=sa.String(length=16))
        batch_op.create_index(batch_op.f("ix_resource_label_token"),
                              ["label_token"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_label_token"))
        batch_op.drop_column("label_token")

"""The SQLAlchemy metadata every repository's tables belong to (the current schema).

Migrations under `storage/migrations/` are frozen snapshots of how the schema got here; a test
checks that applying them all yields exactly these tables and columns.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

"""Public only after a look (lifecycle.publicity): a round's delay before its proposals show by
themselves, when each proposal was or will be released, and hiding a proposal or a photo with a
reason, and the date a paper proposal was received."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Integer, Text, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T14:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "release and hiding of proposals and photos, received dates"


def _params(**given):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **given}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="lifecycle", description=DESCRIPTION)
    for table, tablename, name, column_class, params in (
            ("CollectionRound", "collection_round", "release_after_hours", Integer, _params(default=72, null=True)),
            ("Proposal", "proposal", "released_at", Timestamptz, _params(default=None, null=True)),
            ("Proposal", "proposal", "hidden_reason", Text, _params(default="")),
            ("Proposal", "proposal", "received_on", Date, _params(default=None, null=True)),
            ("ProposalAttachment", "proposal_attachment", "hidden_reason", Text, _params(default=""))):
        manager.add_column(table_class_name=table, tablename=tablename, column_name=name, db_column_name=name,
                           column_class_name=column_class.__name__, column_class=column_class, params=params,
                           schema=None)
    return manager

"""A congress's second language (双语): the language on the congress, the language and the last
translation in force on each poll as it opened, and the translations (voting.translations)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Integer
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-07T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "second language and translations"


# The tables as they are at this migration (tables.py may move on later).
class _Congress(Table, tablename="congress"):
    name = Varchar(length=100)


class _Translation(Table, tablename="translation"):
    congress = ForeignKey(references=_Congress, index=True)
    language = Varchar(length=8)
    source = Text()
    text = Text()
    entered_by = Varchar(length=80)
    entered_at = Timestamptz(default=TimestamptzNow())
    reason = Text(default="")


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="voting", description=DESCRIPTION)
    for table_class_name, tablename in (("Congress", "congress"), ("Poll", "poll")):
        manager.add_column(table_class_name=table_class_name, tablename=tablename, column_name="second_language",
                           db_column_name="second_language", column_class_name="Varchar", column_class=Varchar,
                           params=_params(default="", length=8), schema=None)
    manager.add_column(table_class_name="Poll", tablename="poll", column_name="translations_upto",
                       db_column_name="translations_upto", column_class_name="Integer", column_class=Integer,
                       params=_params(default=None, null=True), schema=None)

    async def run():
        await _Translation.create_table(if_not_exists=True)

    manager.add_raw(run)
    return manager

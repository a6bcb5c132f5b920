"""Alembic revisions of the archive's schema, one file per schema version (``NNNN_*.py``,
revision id ``"NNNN"``). Applied by ``kompas_crawler.storage.migrate`` when an archive is opened;
see there for how to add one."""

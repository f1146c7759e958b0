"""Storage: the SQLAlchemy models, opening/migrating a database, and the audit log."""

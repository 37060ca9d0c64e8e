"""Finding tickets: ranked full-text search (FTS5 on SQLite, tsvector on PostgreSQL, kept by
triggers from migration 0011), keyset-paginated listing and the incremental export."""

"""full-text search index over tickets and comments (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

The index is kept by triggers in the database, not by the services: every write path (the
services, the bulk import's multi-row INSERTs, a future script) keeps it right in the same
transaction, and a rolled-back write leaves no trace in it. What it holds:

- PostgreSQL: `ticket_search(ticket_id, document tsvector)` with a GIN index; the title weighs
  A, the description B, public comments C and internal comments D, so a query restricted to
  weights A-C (what non-agents run) never matches through an internal comment. Statement-level
  triggers with transition tables refresh all the rows one statement touched at once.
- SQLite: the FTS5 table `ticket_search`, one row per audience so that nobody's ranking depends
  on text they may not see (bm25 normalises by the length of the whole row): rowid 2*id holds
  title, description and public comments (`audience` 'everyone', or 'requester' when the
  ticket also has internal comments), rowid 2*id+1 exists only for tickets with internal
  comments and holds everything ('agents').

Deleted tickets have no rows (they never match). Comments count up to their first 200 000
characters per audience (a tsvector holds at most 1 MB). Both sides split words on ASCII
punctuation as FTS5's unicode61 does (so `db01.example.com` is the words db01, example, com)
and stem English words.

A later migration that rebuilds `tickets` or `comments` (SQLite batch mode copies the table)
drops their triggers: it must create them again (`sqlite_triggers()` below).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT_CHARS = 200_000


# --------------------------------------------------------------------------- SQLite


def _sqlite_comments(ticket: str, internal: bool) -> str:
    flag = '' if internal else 'NOT '
    comments = (f'SELECT content FROM comments WHERE ticket_id = {ticket} AND {flag}is_internal'  # noqa: S608
                ' ORDER BY id')
    return f"coalesce(substr((SELECT group_concat(content, ' ') FROM ({comments})), 1, {COMMENT_CHARS}), '')"  # noqa: S608


def _sqlite_refresh(ticket_id: str) -> str:
    """Statements that rebuild one ticket's rows from the tables (none when it is deleted)."""
    has_internal = 'EXISTS (SELECT 1 FROM comments WHERE ticket_id = t.id AND is_internal)'
    return f"""
        DELETE FROM ticket_search WHERE rowid IN (2 * ({ticket_id}), 2 * ({ticket_id}) + 1);
        INSERT INTO ticket_search (rowid, audience, title, description, comments, internal_comments)
        SELECT 2 * t.id, CASE WHEN {has_internal} THEN 'requester' ELSE 'everyone' END,
               t.title, t.description, {_sqlite_comments('t.id', False)}, ''
        FROM tickets t WHERE t.id = {ticket_id} AND t.deleted_at IS NULL;
        INSERT INTO ticket_search (rowid, audience, title, description, comments, internal_comments)
        SELECT 2 * t.id + 1, 'agents', t.title, t.description, {_sqlite_comments('t.id', False)},
               {_sqlite_comments('t.id', True)}
        FROM tickets t WHERE t.id = {ticket_id} AND t.deleted_at IS NULL AND {has_internal};
    """  # noqa: S608  (constants only)


def sqlite_triggers() -> list[str]:
    ticket_text_changed = ('OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description'
                           ' OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)')
    comment_changed = ('OLD.content IS NOT NEW.content OR OLD.is_internal IS NOT NEW.is_internal'
                       ' OR OLD.ticket_id IS NOT NEW.ticket_id')
    return [
        f"""CREATE TRIGGER ticket_search_ticket_insert AFTER INSERT ON tickets
            WHEN NEW.deleted_at IS NULL BEGIN {_sqlite_refresh('NEW.id')} END""",
        f"""CREATE TRIGGER ticket_search_ticket_update
            AFTER UPDATE OF title, description, deleted_at ON tickets
            WHEN {ticket_text_changed} BEGIN {_sqlite_refresh('NEW.id')} END""",
        """CREATE TRIGGER ticket_search_ticket_delete AFTER DELETE ON tickets BEGIN
            DELETE FROM ticket_search WHERE rowid IN (2 * OLD.id, 2 * OLD.id + 1); END""",
        f"""CREATE TRIGGER ticket_search_comment_insert AFTER INSERT ON comments BEGIN
            {_sqlite_refresh('NEW.ticket_id')} END""",
        f"""CREATE TRIGGER ticket_search_comment_update
            AFTER UPDATE OF content, is_internal, ticket_id ON comments
            WHEN {comment_changed} BEGIN
            {_sqlite_refresh('OLD.ticket_id')} {_sqlite_refresh('NEW.ticket_id')} END""",
        f"""CREATE TRIGGER ticket_search_comment_delete AFTER DELETE ON comments BEGIN
            {_sqlite_refresh('OLD.ticket_id')} END""",
    ]


_SQLITE_TRIGGER_NAMES = ('ticket_search_ticket_insert', 'ticket_search_ticket_update',
                         'ticket_search_ticket_delete', 'ticket_search_comment_insert',
                         'ticket_search_comment_update', 'ticket_search_comment_delete')


def _upgrade_sqlite() -> None:
    op.execute("""
        CREATE VIRTUAL TABLE ticket_search USING fts5(
            audience UNINDEXED, title, description, comments, internal_comments,
            tokenize = 'porter unicode61 remove_diacritics 2')
    """)
    for trigger in sqlite_triggers():
        op.execute(trigger)
    # Backfill: the same rows the triggers would have written.
    has_internal = 'EXISTS (SELECT 1 FROM comments WHERE ticket_id = t.id AND is_internal)'
    op.execute(f"""
        INSERT INTO ticket_search (rowid, audience, title, description, comments, internal_comments)
        SELECT 2 * t.id, CASE WHEN {has_internal} THEN 'requester' ELSE 'everyone' END,
               t.title, t.description, {_sqlite_comments('t.id', False)}, ''
        FROM tickets t WHERE t.deleted_at IS NULL
    """)  # noqa: S608  (constants only)
    op.execute(f"""
        INSERT INTO ticket_search (rowid, audience, title, description, comments, internal_comments)
        SELECT 2 * t.id + 1, 'agents', t.title, t.description, {_sqlite_comments('t.id', False)},
               {_sqlite_comments('t.id', True)}
        FROM tickets t WHERE t.deleted_at IS NULL AND {has_internal}
    """)  # noqa: S608  (constants only)


# --------------------------------------------------------------------------- PostgreSQL

_PG_FUNCTIONS = [
    # ASCII punctuation becomes a space: words split as FTS5's unicode61 splits them (the
    # default parser would keep e-mail addresses, host names and paths as single tokens).
    """CREATE FUNCTION ticket_search_words(body text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE
       AS $$ SELECT regexp_replace(coalesce(body, ''), '[!-/:-@[-`{-~]+', ' ', 'g') $$""",
    # PL/pgSQL keeps the plans of its statements for the session (an SQL function would plan
    # them again on every call, i.e. on every write).
    # Writers of one ticket take turns here (the row lock lasts until commit), and each
    # statement after the lock reads what the previous writer committed (READ COMMITTED takes
    # a snapshot per statement): a refresh never overwrites a newer document with stale text,
    # even when its caller did not lock the ticket (editing a comment does not).
    f"""CREATE FUNCTION ticket_search_refresh(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
        DELETE FROM ticket_search s USING unnest(ids) AS u(id)
        WHERE s.ticket_id = u.id
          AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = u.id AND t.deleted_at IS NULL);
        INSERT INTO ticket_search (ticket_id, document)
        SELECT t.id,
               setweight(to_tsvector('english', ticket_search_words(t.title)), 'A')
            || setweight(to_tsvector('english', ticket_search_words(t.description)), 'B')
            || setweight(to_tsvector('english', ticket_search_words(c.public_text)), 'C')
            || setweight(to_tsvector('english', ticket_search_words(c.internal_text)), 'D')
        FROM (SELECT DISTINCT id FROM unnest(ids) AS u(id)) u
        JOIN tickets t ON t.id = u.id AND t.deleted_at IS NULL
        CROSS JOIN LATERAL (
            SELECT left(string_agg(content, ' ' ORDER BY id) FILTER (WHERE NOT is_internal),
                        {COMMENT_CHARS}) AS public_text,
                   left(string_agg(content, ' ' ORDER BY id) FILTER (WHERE is_internal),
                        {COMMENT_CHARS}) AS internal_text
            FROM comments WHERE ticket_id = t.id
        ) c
        ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document;
    END $$""",  # noqa: S608  (constants only)
    """CREATE FUNCTION ticket_search_tickets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM ticket_search_refresh(ARRAY(SELECT id FROM new_rows));
        ELSE
            PERFORM ticket_search_refresh(ARRAY(
                SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.title IS DISTINCT FROM o.title
                   OR n.description IS DISTINCT FROM o.description
                   OR (n.deleted_at IS NULL) <> (o.deleted_at IS NULL)));
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION ticket_search_comments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM ticket_search_refresh(ARRAY(SELECT ticket_id FROM new_rows));
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM ticket_search_refresh(ARRAY(SELECT ticket_id FROM old_rows));
        ELSE
            PERFORM ticket_search_refresh(ARRAY(
                SELECT unnest(ARRAY[n.ticket_id, o.ticket_id])
                FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.content IS DISTINCT FROM o.content
                   OR n.is_internal IS DISTINCT FROM o.is_internal
                   OR n.ticket_id <> o.ticket_id));
        END IF;
        RETURN NULL;
    END $$""",
]

# Transition tables allow one event per trigger.
_PG_TRIGGERS = [
    ('ticket_search_ticket_insert', 'INSERT', 'tickets', 'NEW TABLE AS new_rows',
     'ticket_search_tickets_changed'),
    ('ticket_search_ticket_update', 'UPDATE', 'tickets',
     'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'ticket_search_tickets_changed'),
    ('ticket_search_comment_insert', 'INSERT', 'comments', 'NEW TABLE AS new_rows',
     'ticket_search_comments_changed'),
    ('ticket_search_comment_update', 'UPDATE', 'comments',
     'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'ticket_search_comments_changed'),
    ('ticket_search_comment_delete', 'DELETE', 'comments', 'OLD TABLE AS old_rows',
     'ticket_search_comments_changed'),
]


def _upgrade_postgresql() -> None:
    # A deleted ticket's row goes with it (ON DELETE CASCADE).
    op.execute("""
        CREATE TABLE ticket_search (
            ticket_id integer PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
            document tsvector NOT NULL
        )
    """)
    op.execute('CREATE INDEX ix_ticket_search_document ON ticket_search USING gin (document)')
    for function in _PG_FUNCTIONS:
        op.execute(function)
    for name, event, table, referencing, function in _PG_TRIGGERS:
        op.execute(f'CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing}'
                   f' FOR EACH STATEMENT EXECUTE FUNCTION {function}()')
    op.execute('SELECT ticket_search_refresh(ARRAY(SELECT id FROM tickets))')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in _SQLITE_TRIGGER_NAMES:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
        op.execute('DROP TABLE IF EXISTS ticket_search')
        return
    for name, _event, table, _referencing, _function in _PG_TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
    op.execute('DROP TABLE IF EXISTS ticket_search')
    for function in ('ticket_search_comments_changed()', 'ticket_search_tickets_changed()',
                     'ticket_search_refresh(integer[])', 'ticket_search_words(text)'):
        op.execute(f'DROP FUNCTION IF EXISTS {function}')

"""The full-text index as queries see it: user text becomes a safe FTS5 or tsquery expression,
and a query becomes a subquery of (ticket_id, relevance) that filters and ranks tickets.

The index itself is built by database triggers (migration 0011): an FTS5 table on SQLite, a
tsvector column with a GIN index on PostgreSQL. Neither is an ORM model: their shape differs by
backend and nothing but these queries reads them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Subquery,
    column,
    false,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from ticketry.domain.tickets.models import Ticket

INDEX_TABLE = "ticket_search"

# A word as FTS5's unicode61 tokenizer sees one: letters and digits (underscore separates).
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 16
MAX_TERM_LENGTH = 100
# Shorter last words match exactly: a one- or two-letter prefix would walk half the index.
MIN_PREFIX_LENGTH = 3

# FTS5 bm25 weights by column (audience, title, description, comments, internal_comments).
_BM25_WEIGHTS = (0.0, 10.0, 4.0, 2.0, 2.0)
# ts_rank weights for {D, C, B, A}: internal comments, public comments, description, title.
_TS_WEIGHTS = "{0.2,0.2,0.4,1.0}"
# ts_rank normalisation 1: divide by 1 + log(document length), so long threads do not win.
_TS_NORMALISATION = 1


def is_index_table(name: str) -> bool:
    """Tables of the search index (FTS5 keeps shadow tables `ticket_search_*`): built by the
    migration, not declared as models, so schema comparisons leave them out."""
    return name == INDEX_TABLE or name.startswith(f"{INDEX_TABLE}_")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What user text asks for: every term must match; the last one may be a prefix."""

    terms: tuple[str, ...]
    prefix: bool

    def fts5(self, *, agent: bool) -> str:
        """An FTS5 expression: each term a quoted string, so no input is FTS5 syntax."""
        phrases = [f'"{term}"' for term in self.terms]
        if self.prefix:
            phrases[-1] += "*"
        expression = " ".join(phrases)
        return expression if agent else f"{{title description comments}} : ({expression})"

    def tsquery(self, *, agent: bool) -> str:
        """A to_tsquery() expression: quoted terms, all required; non-agents only match the
        weights of title, description and public comments (A-C), never internal ones (D)."""
        weights = "" if agent else "ABC"
        items = [f"'{term}':{weights}" if weights else f"'{term}'" for term in self.terms]
        if self.prefix:
            items[-1] = f"'{self.terms[-1]}':*{weights}"
        return " & ".join(items)


def parse_query(text: str) -> SearchQuery:
    """Words of the text, lower-cased, in order, at most MAX_TERMS; the last one is a prefix
    when the text ends inside it (a user still typing). Punctuation is never syntax: only
    letters and digits reach the database, quoted."""
    normalised = unicodedata.normalize("NFKC", text).lower()
    found = _WORD.findall(normalised)
    words = [w for w in found if len(w) <= MAX_TERM_LENGTH]
    last = found[-1] if found else ""
    if normalised.endswith(last) and MIN_PREFIX_LENGTH <= len(last) <= MAX_TERM_LENGTH:
        others = tuple(dict.fromkeys(w for w in words if w != last))[:MAX_TERMS - 1]
        return SearchQuery((*others, last), prefix=True)
    return SearchQuery(tuple(dict.fromkeys(words))[:MAX_TERMS], prefix=False)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _sqlite_matches(query: SearchQuery, agent: bool) -> Subquery:
    fts = table(INDEX_TABLE, column("rowid", Integer), column("audience"))
    # Each ticket has one row per audience (see migration 0011): rowid = 2 * id (+1 for agents).
    audiences = ("everyone", "agents") if agent else ("everyone", "requester")
    relevance = -func.bm25(literal_column(INDEX_TABLE), *_BM25_WEIGHTS)
    return (
        select((fts.c.rowid.op(">>")(1)).label("ticket_id"), relevance.label("relevance"))
        .select_from(fts)
        .where(literal_column(INDEX_TABLE).op("MATCH")(query.fts5(agent=agent)),
               fts.c.audience.in_(audiences))
        .subquery("matches")
    )


def _postgresql_matches(query: SearchQuery, agent: bool) -> Subquery:
    index = table(INDEX_TABLE, column("ticket_id", Integer), column("document"))
    tsquery = func.to_tsquery(literal_column("'english'::regconfig"), query.tsquery(agent=agent))
    # Non-agents are ranked on the document without internal comments, so the order of their
    # results says nothing about text they may not see.
    document = (index.c.document if agent
                else func.ts_filter(index.c.document, literal_column("'{a,b,c}'::\"char\"[]")))
    relevance = func.ts_rank(literal_column(f"'{_TS_WEIGHTS}'::float4[]"), document, tsquery,
                             _TS_NORMALISATION, type_=Float)
    return (
        select(index.c.ticket_id, relevance.label("relevance"))
        .where(index.c.document.bool_op("@@")(tsquery))
        .subquery("matches")
    )


def ranked_matches(session: Session, *, text: str, agent: bool) -> Subquery | None:
    """(ticket_id, relevance) of the tickets whose text matches, higher relevance first;
    internal comments count only for agents. None when the text holds no word at all."""
    query = parse_query(text)
    if not query.terms:
        return None
    if _is_sqlite(session):
        return _sqlite_matches(query, agent)
    return _postgresql_matches(query, agent)


def text_condition(session: Session, *, text: str, agent: bool) -> ColumnElement[bool]:
    """A filter on tickets: their text matches (nothing matches text without words)."""
    matches = ranked_matches(session, text=text, agent=agent)
    if matches is None:
        return false()
    return Ticket.id.in_(select(matches.c.ticket_id))

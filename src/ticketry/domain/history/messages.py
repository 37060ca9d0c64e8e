"""History rendered as sentences, through gettext catalogues (Catalan, Spanish, English).

The catalogues are the `.po` files under `locales/`; they are compiled in memory with Babel at
first use, so the package ships only sources and nothing needs a build step.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ticketry.domain.history.models import ChangeType

LANGUAGES = ("ca", "es", "en")
DOMAIN = "history"

# Core field name -> the English msgid naming it in sentences.
FIELD_NAMES = {
    "title": "title", "description": "description", "status": "status",
    "priority": "priority", "category": "category", "ticket_type": "ticket type",
    "tool": "tool", "location": "location", "people": "people", "notifier": "notifier",
    "url": "url", "channel": "channel", "tags": "tags", "team": "team",
    "environment": "environment", "impact_level": "impact level",
    "affected_service": "affected service", "due_at": "due date", "metadata": "metadata",
    "customer_id": "customer", "customer_email": "customer e-mail",
    "customer_name": "customer name",
}


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.GNUTranslations:
    source = resources.files("ticketry.domain.history").joinpath(
        f"locales/{language}/LC_MESSAGES/{DOMAIN}.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def negotiate_language(accept_language: str | None, default: str) -> str:
    """The best of our languages for an `Accept-Language` header, else the default."""
    if not accept_language:
        return default if default in LANGUAGES else "en"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary == "*":
            primary = default
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return sorted(ranked)[0][2] if ranked else (default if default in LANGUAGES else "en")


ValueLabel = Callable[[str, str], str]


def describe_change(
    *, change_type: str, field: str | None, old: str | None, new: str | None,
    reason: str | None, language: str, value_label: ValueLabel,
) -> str:
    """One history row as a sentence in `language`; `value_label(field, value)` turns stored
    keys (status `solved`) into the queue's label in that language (`Resolta`)."""
    _ = translations(language).gettext

    def shown(name: str, value: str | None) -> str:
        return value_label(name, value) if value is not None else ""

    if change_type == ChangeType.CREATED:
        return _("Ticket created")
    if change_type == ChangeType.MODIFICATION and not field:
        # A hand-written record about no particular field: its reason says it all.
        return reason or ""
    if change_type in (ChangeType.COMMENT_ADDED, ChangeType.COMMENT_UPDATED,
                       ChangeType.COMMENT_DELETED):
        return _({ChangeType.COMMENT_ADDED: "A comment was added",
                  ChangeType.COMMENT_UPDATED: "A comment was edited",
                  ChangeType.COMMENT_DELETED: "A comment was deleted"}[ChangeType(change_type)])
    if change_type == ChangeType.ATTACHMENT_ADDED:
        return _('The file "%(new)s" was attached') % {"new": new or ""}
    if change_type == ChangeType.ATTACHMENT_DELETED:
        return _('The file "%(old)s" was removed') % {"old": old or ""}
    if change_type == ChangeType.DELETED:
        return _("The ticket was deleted")
    if change_type == ChangeType.SLA_BREACH:
        return _("The SLA target was missed: %(new)s") % {"new": new or ""}
    if change_type in (ChangeType.APPROVAL_REQUESTED, ChangeType.APPROVAL_PROCESSED,
                       ChangeType.APPROVAL_ESCALATED):
        return _describe_approval(_, change_type, field, old, new)
    if change_type in (ChangeType.LINK_ADDED, ChangeType.LINK_REMOVED):
        added = change_type == ChangeType.LINK_ADDED
        sentence = (_LINK_ADDED if added else _LINK_REMOVED).get(field or "")
        other = (new if added else old) or ""
        return _(sentence) % {"other": other} if sentence else other
    if field == "status":
        return _('The status was changed to "%(new)s"') % {"new": shown("status", new)}
    if field == "priority":
        return _('The priority was changed to "%(new)s"') % {"new": shown("priority", new)}
    if field == "assignee":
        if new is None:
            return _("The ticket was unassigned")
        return _("The ticket was assigned to %(new)s") % {"new": new}
    if field == "title":
        return _('The title was changed to "%(new)s"') % {"new": new or ""}
    if field == "watchers":
        # Recorded when someone adds or removes another person; `new` lists who watches now.
        if not new:
            return _("Nobody watches the ticket any more")
        return _("The ticket is watched by %(new)s") % {"new": new}
    field_name = _(FIELD_NAMES.get(field or "", field or ""))
    if new is None or new == "":
        return _("The %(field)s was cleared") % {"field": field_name}
    return _('The %(field)s was changed to "%(new)s"') % {
        "field": field_name, "new": shown(field or "", new)}


# Approval history rows: APPROVAL_PROCESSED's field is the action, or "request" (new = outcome).
_APPROVAL_SENTENCES = {
    "approve": "The approval was granted",
    "reject": "The approval was refused",
    "request_info": "The approver asked for more information",
    "approved": "The approval request was approved",
    "rejected": "The approval request was rejected",
    "cancelled": "The approval request was withdrawn",
}


# Link history rows: field = the link's kind as this ticket sees it, the other ticket's key in
# `new` (added) or `old` (removed).
_LINK_ADDED = {
    "relates_to": "Linked to %(other)s as related",
    "duplicates": "Marked as a duplicate of %(other)s",
    "duplicated_by": "%(other)s was marked as a duplicate of this ticket",
    "parent_of": "%(other)s became a child of this ticket",
    "child_of": "This ticket became a child of %(other)s",
}
_LINK_REMOVED = {
    "relates_to": "No longer related to %(other)s",
    "duplicates": "No longer marked as a duplicate of %(other)s",
    "duplicated_by": "%(other)s is no longer marked as a duplicate of this ticket",
    "parent_of": "%(other)s is no longer a child of this ticket",
    "child_of": "This ticket is no longer a child of %(other)s",
}


def _describe_approval(_: Callable[[str], str], change_type: str, field: str | None,
                       old: str | None, new: str | None) -> str:
    if change_type == ChangeType.APPROVAL_REQUESTED:
        return _("Approval was requested from %(new)s") % {"new": new or ""}
    if change_type == ChangeType.APPROVAL_ESCALATED:
        return _("The approval by %(old)s was escalated to %(new)s") % {
            "old": old or "", "new": new or ""}
    if field == "delegate":
        return _("The approval was delegated to %(new)s") % {"new": new or ""}
    key = new if field == "request" else field
    return _(_APPROVAL_SENTENCES.get(key or "", "The approval was updated"))

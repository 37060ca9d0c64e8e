"""Queue configuration as data: the preset file format and the API views of a queue."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ticketry.domain.text import CleanStr

StatusCategory = Literal["new", "open", "pending", "solved", "closed", "deleted"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=200)
    label: str = Field(min_length=1, max_length=300)
    # Translations of the label, by language code ("ca", "es", "en").
    labels: dict[str, str] = Field(default_factory=dict)
    # The number a document uses for this entry (healthcare `status_id`, `center_id`, ...).
    code: int | None = None


class StatusPreset(_Item):
    category: StatusCategory
    initial: bool = False
    transitions: list[str] = Field(default_factory=list)
    history_type: str | None = None


class PriorityPreset(_Item):
    rank: int = Field(ge=1)
    response_minutes: int | None = Field(default=None, ge=1)
    resolution_minutes: int | None = Field(default=None, ge=1)
    default: bool = False


class CategoryPreset(_Item):
    keywords: list[str] = Field(default_factory=list)


class TicketTypePreset(_Item):
    key_format: str | None = None
    requires_approval: bool = False


class ReferenceItemPreset(_Item):
    pass


class QueuePreset(BaseModel):
    """One document's queue: installed on first start, then owned by the admins."""

    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    is_default: bool = False
    default_language: str = "en"
    # Placeholders: {number}, {number:06d}, {date:%Y%m%d}, {daily:03d}, {uuid}.
    key_format: str
    settings: dict[str, Any] = Field(default_factory=dict)
    statuses: list[StatusPreset]
    priorities: list[PriorityPreset]
    categories: list[CategoryPreset] = Field(default_factory=list)
    ticket_types: list[TicketTypePreset] = Field(default_factory=list)
    reference_lists: dict[str, list[ReferenceItemPreset]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_lifecycle(self) -> QueuePreset:
        keys = {s.key for s in self.statuses}
        if len(keys) != len(self.statuses):
            raise ValueError("duplicate status key")
        if sum(1 for s in self.statuses if s.initial) != 1:
            raise ValueError("exactly one status must be initial")
        for status in self.statuses:
            unknown = set(status.transitions) - keys
            if unknown:
                raise ValueError(f"status {status.key} transitions to unknown {sorted(unknown)}")
        if len({p.key for p in self.priorities}) != len(self.priorities):
            raise ValueError("duplicate priority key")
        return self


class ReferenceItemCreate(BaseModel):
    """A new entry of a queue's reference list (a center, a tool, ...)."""

    model_config = ConfigDict(extra="forbid")

    key: CleanStr = Field(min_length=1, max_length=200)
    label: CleanStr = Field(min_length=1, max_length=300)
    labels: dict[str, Annotated[CleanStr, Field(max_length=300)]] = Field(default_factory=dict)
    code: int | None = Field(default=None, ge=0, le=2_000_000_000)


class KeywordsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keywords: list[Annotated[CleanStr, Field(min_length=1, max_length=100)]] = Field(
        max_length=500)


class NamedItemRead(BaseModel):
    key: str
    label: str
    labels: dict[str, str]
    code: int | None = None


class StatusRead(NamedItemRead):
    category: str
    initial: bool
    transitions: list[str]


class PriorityRead(NamedItemRead):
    rank: int
    response_minutes: int | None
    resolution_minutes: int | None
    default: bool


class CategoryRead(NamedItemRead):
    keywords: list[str]


class QueueRead(BaseModel):
    key: str
    name: str
    key_format: str
    is_default: bool
    default_language: str
    statuses: list[StatusRead]
    priorities: list[PriorityRead]
    categories: list[CategoryRead]
    ticket_types: list[NamedItemRead]
    reference_lists: dict[str, list[NamedItemRead]]

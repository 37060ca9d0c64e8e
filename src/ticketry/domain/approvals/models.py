"""Approval requests on tickets: sequential or parallel approvers, actions, escalation."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketry.db import Base, JSONType, UTCDateTime, new_uuid, utcnow
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Team, User


class ApprovalMode(enum.StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ApprovalStatus(enum.StrEnum):
    # Sequential approvers after the current one wait for their turn.
    WAITING = "waiting"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    DELEGATED = "delegated"
    ESCALATED = "escalated"
    # The approver asked the requester a question; still theirs to decide.
    INFO_REQUESTED = "info_requested"
    # The request ended (rejected or withdrawn) before this approver acted.
    CANCELLED = "cancelled"


ACTIONABLE = (ApprovalStatus.PENDING.value, ApprovalStatus.INFO_REQUESTED.value)
OPEN_APPROVAL = (ApprovalStatus.WAITING.value, *ACTIONABLE)


class ApprovalRequest(Base):
    """One approval workflow on a ticket; at most one is pending per ticket."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        # One open request per ticket, even against concurrent requests.
        Index("uq_approval_requests_open_ticket", "ticket_id", unique=True,
              postgresql_where=text("status = 'pending'"),
              sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16), default=ApprovalMode.SEQUENTIAL.value)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING.value)
    # Where the ticket returns when the outcome names no status of its own.
    previous_status: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(lazy="raise")
    requested_by: Mapped[User | None] = relationship(lazy="raise")
    approvals: Mapped[list[Approval]] = relationship(
        lazy="raise", back_populates="request", order_by="(Approval.position, Approval.id)",
        passive_deletes=True)


class Approval(Base):
    """One approver's task in a request: a named user, or anyone of a role (in a team)."""

    __tablename__ = "approvals"
    __table_args__ = (
        # The pending list: what awaits a user directly, or through their role.
        Index("ix_approvals_status_approver", "status", "approver_id"),
        Index("ix_approvals_status_role", "status", "approver_role"),
        # The escalation timer: pending approvals past their deadline.
        Index("ix_approvals_status_escalate_at", "status", "escalate_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_uuid)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("approval_requests.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    approver_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    approver_role: Mapped[str | None] = mapped_column(String(32))
    approver_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=ApprovalStatus.PENDING.value)
    acted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    comments: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The approval this one replaces, handed on by its approver or by the escalation timer.
    delegated_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("approvals.id", ondelete="SET NULL"), index=True)
    escalated_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("approvals.id", ondelete="SET NULL"), index=True)

    request: Mapped[ApprovalRequest] = relationship(lazy="raise", back_populates="approvals")
    ticket: Mapped[Ticket] = relationship(lazy="raise")
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id], lazy="raise")
    approver_team: Mapped[Team | None] = relationship(lazy="raise")
    acted_by: Mapped[User | None] = relationship(foreign_keys=[acted_by_id], lazy="raise")

"""The document's shapes."""

from __future__ import annotations

from pydantic import BaseModel


class IntegrationTicket(BaseModel):
    ticket_number: str
    title: str
    description: str
    category: str | None
    created_by: str | None
    assigned_to: str | None
    status: str
    priority: str | None
    location: str | None
    department: str | None
    created_at: str
    closed_on: str | None


class TicketList(BaseModel):
    success: bool = True
    count: int
    tickets: list[IntegrationTicket]
    timestamp: str


class TicketDetail(BaseModel):
    success: bool = True
    ticket: IntegrationTicket
    timestamp: str


class ErrorBody(BaseModel):
    success: bool = False
    error: str
    detail: str | None = None
    timestamp: str

"""Approval requests on tickets: sequential or parallel approvers, actions, escalation."""

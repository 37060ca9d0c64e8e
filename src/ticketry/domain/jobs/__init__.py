"""Durable jobs for the worker: claimed with a lease, so a dead worker's job is taken over."""

"""Webhook subscriptions and their signed, retried, logged deliveries."""

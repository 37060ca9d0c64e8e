"""In-app notifications, ticket watchers and notification e-mail."""

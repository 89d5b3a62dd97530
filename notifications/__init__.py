"""Notices: rendering and delivering what the workflow engine writes to its outbox.

The engine writes every notice (assignment, feedback request, re-handling, withdrawal, return requests)
as an outbox row inside the transaction that caused it; this package is where they are delivered.
"""

from notifications.errors import NotificationError

__all__ = ["NotificationError"]

"""Errors raised by the notifications package.

Tree::

    NotificationError
"""

__all__ = ["NotificationError"]


class NotificationError(Exception):
    """Root of every error raised by :mod:`notifications`."""

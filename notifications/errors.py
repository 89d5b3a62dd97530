"""Errors raised by the notifications package.

Tree::

    NotificationError
    ├── TemplateProblem     a template that does not render (syntax, undefined variable, too long)
    ├── ConfigError         a notifications configuration that cannot be used
    └── DeliveryError       a channel could not deliver (``retryable`` says whether to try again)
"""

from __future__ import annotations

from rules.i18n import _

__all__ = ["ConfigError", "DeliveryError", "NotificationError", "TemplateProblem"]


class NotificationError(Exception):
    """Root of every error raised by :mod:`notifications`."""


class TemplateProblem(NotificationError):
    """A template that cannot be rendered."""

    def __init__(self, *, template: str, detail: str) -> None:
        self.template, self.detail = template, detail
        super().__init__(_("template {template!r}: {detail}").format(template=template, detail=detail))


class ConfigError(NotificationError):
    """A notifications configuration that cannot be used."""


class DeliveryError(NotificationError):
    """A channel could not deliver a notice."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message)

"""Passwords: hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile), never stored
or logged as typed; checked in constant time by the library; a hash made with weaker parameters is remade at
the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rules.i18n import _
from workflow.core.errors import ValidationError

__all__ = ["MIN_LENGTH", "check_new", "hash_password", "needs_rehash", "remake", "verify"]

MIN_LENGTH = 10
_HASHER = PasswordHasher()


def check_new(password: str) -> str:
    """``password`` if it may be set: at least :data:`MIN_LENGTH` characters, not only spaces."""
    if len(password) < MIN_LENGTH or not password.strip():
        raise ValidationError(
            _("a password needs at least {MIN_LENGTH} characters").format(MIN_LENGTH=MIN_LENGTH)
        )
    return password


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (with its own salt and parameters)."""
    return _HASHER.hash(check_new(password))


def remake(password: str) -> str:
    """A new hash of a password already accepted (at sign-in, when its hash's parameters are outdated)."""
    return _HASHER.hash(password)


def verify(stored: str, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (a broken hash matches nothing)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True

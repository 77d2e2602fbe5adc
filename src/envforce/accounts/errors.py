from __future__ import annotations

from envforce.core.errors import DomainError


class AccountError(DomainError):
    pass

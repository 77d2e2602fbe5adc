from envforce.core.errors import DomainError


class DemoError(DomainError):
    """The demo cannot be built (the database is not empty, or the size is too small)."""

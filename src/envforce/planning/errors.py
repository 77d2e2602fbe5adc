from envforce.core.errors import DomainError


class PlanningError(DomainError):
    """A refused planning or draw operation (code + Chinese message)."""

from envforce.core.errors import DomainError


class InspectionError(DomainError):
    """A refused inspection-task operation (code + Chinese message)."""

from envforce.core.errors import DomainError


class RegistryError(DomainError):
    pass

import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The demo creates eleven accounts; PBKDF2 at Django's default cost would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

"""The session engine (``SESSION_ENGINE``): Django's database sessions, which also remember
when the session read for this request expires, so that ``SessionRenewalMiddleware`` can tell
how long ago it was last saved without writing anything else into it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    loaded_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:
        stored = super()._get_session_from_db()  # type: ignore[misc]  # not in django-stubs
        self.loaded_expiry = stored.expire_date if stored is not None else None
        return stored

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class StaticStorage(ManifestStaticFilesStorage):
    """Hashed names (long cache lifetimes, served by whitenoise) once collectstatic has run;
    plain names served by whitenoise's finders before it (tests, a first start) instead of an
    error. Not pre-compressed: brotli over Bootstrap's many variants made collectstatic take
    minutes on a 2-core server, for an intranet that gains little from it."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:
            return name
        return str(super().stored_name(name))

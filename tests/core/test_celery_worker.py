"""Production mode for real: a task goes through a Celery worker process on the local Redis and
writes to the same database the test reads."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from envforce.core import services
from envforce.core.actors import SystemActor
from envforce.core.models import AuditEntry

REDIS_URL = os.environ.get("ENVFORCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    return f"postgres://{s['USER'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_task_runs_in_a_real_worker_over_redis(tmp_path):
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    services.record("test.event", actor=SystemActor("test", "测试"), target_type="t", target_id="1")
    queue = f"envforce-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ENVFORCE_CELERY_BROKER": REDIS_URL, "ENVFORCE_CELERY_RESULT_BACKEND": REDIS_URL,
           "ENVFORCE_CELERY_EAGER": "0", "ENVFORCE_DATABASE_URL": _database_url(),
           "ENVFORCE_VAR_DIR": str(settings.VAR_DIR),
           "ENVFORCE_SECRET_KEY": settings.SECRET_KEY, "ENVFORCE_AUDIT_KEY": settings.ENVFORCE_AUDIT_KEY}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "envforce.config", "worker", "--pool=solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # A separate client app, not made current, so the project's app stays in its own mode.
        client = Celery(broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
        try:
            result = client.send_task("envforce.core.verify_audit_chain", queue=queue)
            outcome = result.get(timeout=90)
        finally:
            client.close()
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert outcome == {"ok": True, "checked": 1, "first_break": None}, output
    entry = AuditEntry.objects.get(event="audit.chain_verified")
    assert entry.actor_label == "系统：定时任务" and entry.summary == "审计链校验通过"


def test_embedded_mode_runs_tasks_in_process(db, settings):
    from envforce.core.tasks import verify_audit_chain

    assert settings.CELERY_TASK_ALWAYS_EAGER  # the embedded default
    assert verify_audit_chain.delay().get()["ok"] is True
    assert AuditEntry.objects.filter(event="audit.chain_verified").exists()

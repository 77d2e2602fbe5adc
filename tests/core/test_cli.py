"""The envforce console command: dispatch, check-deploy, and the production server for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from envforce.cli import main
from envforce.core.management.commands.check_deploy import deploy_findings


def test_hyphenated_words_map_to_management_commands(capsys, db):
    try:
        code = main(["check-deploy"])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr().out
    assert "个错误" in out
    assert (code == 1) == ("[错误]" in out)


def test_check_deploy_flags_debug_and_wildcard_hosts(settings, db):
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    codes = {code for level, code, _ in deploy_findings() if level == "error"}
    assert {"debug_on", "allowed_hosts_any"} <= codes
    with pytest.raises(SystemExit) as exc:
        call_command("check_deploy")
    assert exc.value.code == 1


def test_check_deploy_passes_a_safe_configuration(settings, db, monkeypatch):
    monkeypatch.setenv("ENVFORCE_SECRET_KEY", "k" * 30 + "0123456789abcdefghijklmnopqrstuvwxyz")
    settings.SECRET_KEY = os.environ["ENVFORCE_SECRET_KEY"]
    settings.ENVFORCE_AUDIT_KEY = "a-separate-audit-key"
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["envforce.example.gov.cn"]
    assert not [f for f in deploy_findings() if f[0] == "error"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    return f"postgres://{s['USER'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_serve_runs_gunicorn_and_answers(tmp_path):
    port = _free_port()
    env = {**os.environ, "ENVFORCE_DATABASE_URL": _database_url(), "ENVFORCE_VAR_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "envforce.cli", "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read()
                    break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            login_page = response.read().decode()
            server_header = response.headers.get("Server", "")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert b'"database": true' in body, output
    assert "登录生态环境执法平台" in login_page
    assert "gunicorn" in server_header.lower() or "gunicorn" in output.lower()

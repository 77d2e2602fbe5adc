"""The demo command and the refusal to build on a non-empty database (each test starts empty)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from envforce.core.models import AuditEntry
from envforce.core.selectors import verify_chain
from envforce.demo.errors import DemoError
from envforce.demo.generator import generate
from envforce.demo.services import build_demo
from envforce.registry.models import Enterprise, Inspector

SEED = 3
SIZE = 20

pytestmark = pytest.mark.django_db


def _state():
    return (Enterprise.objects.count(), Inspector.objects.count(), AuditEntry.objects.count())


def test_refuses_a_database_that_already_has_enterprises(enterprise):
    before = _state()
    with pytest.raises(DemoError) as exc:
        build_demo(seed=SEED, enterprises=SIZE)
    assert exc.value.code == "conflict" and "企业 1 家" in exc.value.message
    assert _state() == before


def test_refuses_when_a_demo_user_name_is_taken(make_user):
    make_user("officer1", "officer")
    before = _state()
    with pytest.raises(DemoError) as exc:
        build_demo(seed=SEED, enterprises=SIZE)
    assert "officer1" in exc.value.message
    assert _state() == before


def test_an_unrelated_administrator_account_does_not_block_the_demo(make_user):
    make_user("admin", "sysadmin")
    summary = build_demo(seed=SEED, enterprises=SIZE)
    assert summary.enterprises == SIZE


def test_refuses_a_district_too_small():
    with pytest.raises(DemoError) as exc:
        build_demo(seed=SEED, enterprises=5)
    assert exc.value.field == "enterprises"
    assert _state() == (0, 0, 0)


# ---- The command ------------------------------------------------------------------------------
def test_command_builds_and_prints_every_login(capsys):
    call_command("demo", seed=SEED, enterprises=SIZE)
    out = capsys.readouterr().out
    assert Enterprise.objects.count() == SIZE
    assert "演示数据已生成" in out
    for account in generate(SEED, SIZE).accounts:
        line = next(line for line in out.splitlines() if f" {account.username} " in line)
        assert account.password in line


def test_command_exits_1_on_a_non_empty_database(enterprise):
    before = _state()
    with pytest.raises(CommandError) as exc:
        call_command("demo", seed=SEED, enterprises=SIZE)
    assert exc.value.returncode == 1
    assert "演示数据只能装入空数据库" in str(exc.value)
    assert _state() == before


def test_cli_exit_status_is_1_on_a_non_empty_database(enterprise, capsys):
    from envforce.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["demo", "--enterprises", str(SIZE)])
    assert exc.value.code == 1
    assert "演示数据只能装入空数据库" in capsys.readouterr().err


def test_if_empty_does_nothing_on_a_non_empty_database(enterprise, capsys):
    before = _state()
    call_command("demo", seed=SEED, enterprises=SIZE, if_empty=True)
    assert "未生成演示数据" in capsys.readouterr().out
    assert _state() == before


def test_if_empty_builds_on_an_empty_database():
    call_command("demo", seed=SEED, enterprises=SIZE, if_empty=True)
    assert Enterprise.objects.count() == SIZE
    assert verify_chain().ok

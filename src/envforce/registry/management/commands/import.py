"""``envforce import enterprises|inspectors|catalogue FILE``: the same import as the web page.

Every row is validated first; the report lists each bad row with its Excel row number. Exit
status 0 when the import was written (or, with --dry-run, when the file has no error), 1 when
nothing was written."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandParser

from envforce.core.actors import CLI
from envforce.registry import tabular


class Command(BaseCommand):
    help = "Import enterprises, inspectors or an enforcement-item catalogue version from .xlsx or .csv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=tabular.IMPORT_KINDS)
        parser.add_argument("file", help=".xlsx, or .csv in UTF-8 (with or without BOM) or GB18030")
        parser.add_argument("--valid-only", action="store_true",
                            help="write the valid rows even when other rows are bad")
        parser.add_argument("--update-existing", action="store_true",
                            help="update records with the same credit code / credential number "
                                 "(blank cells leave fields unchanged) instead of reporting duplicates")
        parser.add_argument("--label", default="", help="catalogue only: label of the new draft version")
        parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
        parser.add_argument("--json", action="store_true", help="machine-readable report on stdout")
        parser.add_argument("--as", dest="as_user", default="", metavar="USERNAME",
                            help="act as this user, with that user's permissions (default: the CLI system actor)")

    def handle(self, *args: Any, **options: Any) -> None:
        kind, path = options["kind"], Path(options["file"])
        result = tabular.ImportResult(kind=kind, filename=path.name, dry_run=options["dry_run"])
        try:
            actor = self._actor(options["as_user"])
            if not path.is_file():
                raise tabular.ImportFileError("not_found", f"文件不存在：{path}")
            result = tabular.run_import(kind, path, actor=actor, update_existing=options["update_existing"],
                                        valid_only=options["valid_only"], dry_run=options["dry_run"],
                                        label=options["label"])
        except PermissionDenied as exc:
            result.file_error = True
            result.errors.append(tabular.RowError(None, "", "", "forbidden", str(exc) or "您没有执行此操作的权限。"))
        except tabular.ImportFileError as exc:
            result.file_error = True
            result.errors.append(tabular.RowError(None, "", "", exc.code, exc.message))
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        else:
            self._print(result)
        if not result.ok:
            sys.exit(1)

    def _actor(self, username: str) -> Any:
        if not username:
            return CLI
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise tabular.ImportFileError("unknown_user", f"用户“{username}”不存在")
        return user

    def _print(self, result: tabular.ImportResult) -> None:
        title = tabular.SPECS[result.kind].title
        out = self.stdout if result.ok else self.stderr
        if result.total_rows:
            out.write(f"{title}：共 {result.total_rows} 行，校验通过 {result.valid_rows} 行，"
                      f"有错误 {result.error_rows} 行。")
        for error in result.errors:
            where = f"第 {error.row} 行" if error.row is not None else "文件"
            column = f"［{error.column}］" if error.column else ""
            value = f"“{error.value}”" if error.value else ""
            out.write(f"  {where}{column}{value}：{error.message} ({error.code})")
        if result.written:
            summary = f"已写入：新增 {result.created} 条，更新 {result.updated} 条，无变化 {result.unchanged} 条"
            if result.version_id:
                summary += f"；新目录版本 id={result.version_id}（待启用）"
            self.stdout.write(summary + "。")
        elif result.dry_run and result.ok:
            self.stdout.write("校验通过（--dry-run，未写入）。")
        else:
            self.stderr.write("未写入任何数据。")

#!/usr/bin/env bash
# README command 1: install, create the SQLite database, load the demo district (only into an
# empty database), print the demo logins and serve on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
exec uv run envforce up "$@"

#!/usr/bin/env bash
# PostgreSQL from Debian packages, for the `postgres` tests and for a team's Dagster storage
# (deploy/dagster-postgres.yaml). Idempotent and non-interactive, so CI can run it as root with
# no stdin; as another user it uses sudo.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo -n"
fi

echo "Installing postgresql ..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
$SUDO apt-get install -y -qq --no-install-recommends postgresql </dev/null

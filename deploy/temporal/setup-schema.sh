#!/bin/sh
# Creates Temporal's two Postgres databases and brings their schema to the version the server needs, with
# temporal-sql-tool. Safe to run again: existing databases are kept and only missing schema versions are applied.
# Shared by docker-compose.yml (the temporal-schema service, in temporalio/admin-tools) and `npm run stack`.
#
#   SQL_TOOL     temporal-sql-tool's path     (default: temporal-sql-tool on PATH)
#   SCHEMA_DIR   the server's schema/postgresql/v12 folder
#   POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, TEMPORAL_DB, TEMPORAL_VISIBILITY_DB
set -eu
tool=${SQL_TOOL:-temporal-sql-tool}
for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db=${pair%%:*}
  kind=${pair#*:}
  set -- --plugin postgres12 --ep "${POSTGRES_HOST:-127.0.0.1}" -p "${POSTGRES_PORT:-5432}" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PASSWORD" --db "$db"
  # create-database fails when it exists; setup-schema -v 0.0 only creates the version table when it is missing.
  "$tool" "$@" create-database >/dev/null 2>&1 || true
  "$tool" "$@" setup-schema -v 0.0
  "$tool" "$@" update-schema -d "$SCHEMA_DIR/$kind/versioned"
done

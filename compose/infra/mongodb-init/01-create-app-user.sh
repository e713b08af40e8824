#!/bin/sh
# Runs once, on an empty data directory, inside the mongo container (the
# official image's docker-entrypoint-initdb.d). Creates the application user
# with readWrite on the smartsmoker database only. The password comes from
# the container environment (the host's mode-0600 .env), never from a file
# in this repository. The command is JSON, so it is valid for mongosh.
set -eu
: "${MONGO_APP_PASSWORD:?MONGO_APP_PASSWORD must be set}"
pw_json=$(printf '%s' "$MONGO_APP_PASSWORD" | sed 's/\\/\\\\/g; s/"/\\"/g')
mongosh --quiet \
  -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin \
  admin --eval "db.runCommand({\"createUser\": \"smartsmoker\", \"pwd\": \"$pw_json\", \"roles\": [{\"role\": \"readWrite\", \"db\": \"smartsmoker\"}]})"
echo "created user smartsmoker"

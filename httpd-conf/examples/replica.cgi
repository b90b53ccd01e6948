#!/usr/bin/python3
"""A backend that keeps its own replica of Cognito users and groups.

It never sees a token: mod_auth_cognito has already validated it and hands
the claims over as environment variables.  On every request the user is
upserted into SQLite:

  * first sight of a `sub`          -> INSERT the user and its groups;
  * COGNITO_CLAIMS_SHA256 changed   -> UPDATE the user and REPLACE its group
                                       memberships;
  * nothing changed                 -> only last_seen moves.

COGNITO_CLAIMS_SHA256 only changes when the user's attributes or groups do
(per-token claims such as exp and jti are left out of it), so the common
case is a single indexed read.

Configuration: SetEnv REPLICA_DB /path/to/replica.db (the directory must be
writable by the httpd user).  ?format=json answers with JSON.
"""
import html
import json
import os
import sqlite3
import sys
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    sub           TEXT PRIMARY KEY,
    username      TEXT,
    email         TEXT,
    claims        TEXT NOT NULL,
    claims_sha256 TEXT NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    updates       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS memberships (
    sub        TEXT NOT NULL REFERENCES users(sub) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    PRIMARY KEY (sub, group_name)
);
"""


def upsert(db, env):
    claims = json.loads(env["COGNITO_CLAIMS"])
    sub = env["COGNITO_SUB"]
    digest = env["COGNITO_CLAIMS_SHA256"]
    # The JSON copy of cognito:groups is exact; no delimiter to unescape.
    groups = claims.get("cognito:groups", [])
    username = env.get("COGNITO_USERNAME") or env.get("REMOTE_USER")
    now = int(time.time())
    with db:
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT claims_sha256 FROM users WHERE sub = ?",
                         (sub,)).fetchone()
        if row is None:
            action = "inserted"
            db.execute("INSERT INTO users (sub, username, email, claims, "
                       "claims_sha256, first_seen, last_seen) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (sub, username, env.get("COGNITO_EMAIL"),
                        env["COGNITO_CLAIMS"], digest, now, now))
        elif row[0] != digest:
            action = "updated"
            db.execute("UPDATE users SET username = ?, email = ?, claims = ?, "
                       "claims_sha256 = ?, last_seen = ?, "
                       "updates = updates + 1 WHERE sub = ?",
                       (username, env.get("COGNITO_EMAIL"),
                        env["COGNITO_CLAIMS"], digest, now, sub))
            db.execute("DELETE FROM memberships WHERE sub = ?", (sub,))
        else:
            action = "unchanged"
            db.execute("UPDATE users SET last_seen = ? WHERE sub = ?",
                       (now, sub))
        if action != "unchanged":
            db.executemany("INSERT INTO memberships (sub, group_name) "
                           "VALUES (?, ?)", [(sub, g) for g in groups])
    return action


def snapshot(db):
    users = []
    for sub, username, email, updates in db.execute(
            "SELECT sub, username, email, updates FROM users "
            "ORDER BY username"):
        groups = [g for (g,) in db.execute(
            "SELECT group_name FROM memberships WHERE sub = ? "
            "ORDER BY group_name", (sub,))]
        users.append({"sub": sub, "username": username, "email": email,
                      "updates": updates, "groups": groups})
    return users


def main():
    env = os.environ
    if "COGNITO_SUB" not in env or "COGNITO_CLAIMS" not in env:
        sys.stdout.write("Status: 500 Internal Server Error\r\n"
                         "Content-Type: text/plain\r\n\r\n"
                         "No Cognito user: protect this script with "
                         "AuthType Cognito\n")
        return
    db = sqlite3.connect(env.get("REPLICA_DB", "replica.db"), timeout=10,
                         isolation_level=None)
    db.executescript(SCHEMA)
    action = upsert(db, env)
    users = snapshot(db)
    if "format=json" in env.get("QUERY_STRING", ""):
        sys.stdout.write("Content-Type: application/json\r\n"
                         "Cache-Control: no-store\r\n\r\n")
        sys.stdout.write(json.dumps({"you": env.get("REMOTE_USER"),
                                     "action": action, "users": users}))
        return
    sys.stdout.write("Content-Type: text/html; charset=utf-8\r\n"
                     "Cache-Control: no-store\r\n\r\n")
    esc = html.escape
    rows = "".join("<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>"
                   % (esc(u["username"] or ""), esc(u["email"] or ""),
                      esc(", ".join(u["groups"])), u["updates"])
                   for u in users)
    sys.stdout.write(
        "<!DOCTYPE html><html><head><title>Replica</title></head><body>"
        "<h1>Hello, <span id=\"user\">%s</span></h1>"
        "<p>Your groups: <span id=\"groups\">%s</span>. This visit: %s.</p>"
        "<h2>Users this backend has seen</h2><table border=\"1\">"
        "<tr><th>user</th><th>email</th><th>groups</th><th>updates</th></tr>"
        "%s</table></body></html>\n"
        % (esc(env.get("REMOTE_USER", "")), esc(env.get("COGNITO_GROUPS", "")),
           action, rows))


if __name__ == "__main__":
    main()

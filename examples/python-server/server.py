#!/usr/bin/env python3
"""A handshake server in Python's standard library, written from docs/protocol.md alone.

It keeps its "database" in memory (a list of applied revisions), which is enough to show every
part of the protocol: the version document (§1, §1.1), the headers on every response (§1.4),
the 426 for a CLI below the window (§1.6), maintenance mode's 503 (§1.7), JSON error bodies
(§1.8) and the optional admin migration endpoint (§1b). `handshake server verify` passes on it
(test/unit/server-verify.test.ts runs it when python3 is present).

    python3 examples/python-server/server.py --port 8080
    PYSERVER_TOKEN=... PYSERVER_ADMIN_TOKEN=... python3 examples/python-server/server.py

Once listening it prints one JSON line on stdout: {"url": "http://127.0.0.1:PORT"}. Tokens come
from the environment only (never argv): PYSERVER_TOKEN (the API token; without it the API is
open) and PYSERVER_ADMIN_TOKEN (turns the admin migration endpoint on).
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

VERSION_PATH = "/api/v1/config/version"  # §1
HEALTH_PATH = "/api/v1/health"
AUTH_CHECK_PATH = "/api/v1/auth-check"  # §1.9: endpoints.auth_check
MIGRATE_PATH = "/api/v1/admin/migrations"  # §1b
RETRY_AFTER_SECONDS = 2

# §1.2: MAJOR.MINOR.PATCH, optional -prerelease and +build.
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\d*)(?:\.(?:\d*[a-zA-Z-][a-zA-Z0-9-]*|0|[1-9]\d*))*))?"
    r"(?:\+[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*)?$"
)
# §1.2: printable, 1 to 256 characters, no space at either end (ASCII-only here: our own ids are).
REVISION = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?$")

MIGRATIONS = [  # this release's migrations, oldest first
    ("0001_initial", "projects and events"),
    ("0002_add_event_tags", "event tags"),
    ("0003_add_insight_meta_cache", "insight cache"),
    ("0004_split_events_table", "split events table"),
    ("0005_add_retention_policy", "per-project retention policy"),
]


def semver_key(v):
    """A sort key for a semver version (precedence: a prerelease sorts before its release)."""
    m = SEMVER.match(v.strip())
    if not m:
        return None
    major, minor, patch, pre = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    if pre is None:
        return (major, minor, patch, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, parts)


def digest(token):
    return hashlib.sha256(token.encode("utf-8")).digest()


class State:
    """The server's schema state and its migration runner (one run at a time)."""

    def __init__(self, applied_count, delay):
        self.lock = threading.Lock()
        self.applied = [rev for rev, _ in MIGRATIONS[:applied_count]]
        self.status = "idle"  # idle | running | failed
        self.progress = None
        self.delay = delay

    def head(self):
        return MIGRATIONS[-1][0]

    def pending(self):
        return [{"revision": rev, "description": d} for rev, d in MIGRATIONS[len(self.applied):]]

    def revision(self):
        return self.applied[-1] if self.applied else None

    def start(self):
        """Starts a run unless one is going; True when this call started it."""
        with self.lock:
            if self.status == "running":
                return False
            todo = self.pending()
            self.status = "running"
            self.progress = {"applied": 0, "total": len(todo), "current": None}
        threading.Thread(target=self._run, args=(todo,), daemon=True).start()
        return True

    def _run(self, todo):
        # §1b.2: back up first, under a temporary name renamed only when complete; fail closed.
        try:
            backup_dir = tempfile.gettempdir()
            final = os.path.join(backup_dir, "pyserver-backup-%d.json" % os.getpid())
            fd, tmp = tempfile.mkstemp(dir=backup_dir, prefix=".pyserver-backup-")
            with os.fdopen(fd, "w") as f:
                json.dump({"applied": self.applied}, f)
            os.replace(tmp, final)
        except OSError:
            with self.lock:
                self.status, self.progress = "failed", None
            return
        for i, m in enumerate(todo):
            with self.lock:
                self.progress = {"applied": i, "total": len(todo), "current": m["revision"]}
            time.sleep(self.delay)  # "one transaction per migration"
            with self.lock:
                self.applied.append(m["revision"])
        with self.lock:
            self.status, self.progress = "idle", None


class Handler(BaseHTTPRequestHandler):
    server_version_string = "1.4.2"
    min_cli_version = None
    token_digest = None
    admin_digest = None
    state = None

    # -- the document and the headers --------------------------------------------------------

    def document(self):
        """§1.1: the version document."""
        s = self.state
        with s.lock:
            doc = {
                "server_version": self.server_version_string,
                "schema_revision": s.revision(),
                "min_cli_version": self.min_cli_version,
                "max_cli_version": None,
                "recommended_cli_version": self.min_cli_version,
                "api_version": "v1",
                "pending_migrations": s.pending(),
                "deployment": "docker-compose",
                "migration_status": s.status,
                "migration_progress": dict(s.progress) if s.progress else None,
                "capabilities": {"retention": True},
            }
        if self.admin_digest is not None:
            doc["capabilities"]["migrate"] = MIGRATE_PATH
        return doc

    def send(self, status, body, headers=None):
        """Every answer goes through here, so every one carries the §1.4 headers and a JSON body (§1.8)."""
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Server-Version", self.server_version_string)
        revision = self.state.revision()
        if revision is not None:
            self.send_header("X-Schema-Revision", revision)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, code, message, remedy=None, headers=None):
        """§1.8: the error body. Never quotes the request's headers."""
        self.send(status, {"error": {"code": code, "message": message, "remedy": remedy}}, headers)

    # -- credentials -------------------------------------------------------------------------

    def caller(self):
        """'admin', 'ordinary' or 'anonymous', compared on digests in constant time (§1b.1)."""
        m = re.match(r"^Bearer[ \t]+(\S+)[ \t]*$", self.headers.get("Authorization", ""), re.IGNORECASE)
        if not m:
            return "anonymous"
        presented = digest(m.group(1))
        if self.admin_digest is not None and hmac.compare_digest(presented, self.admin_digest):
            return "admin"
        if self.token_digest is not None and hmac.compare_digest(presented, self.token_digest):
            return "ordinary"
        return "anonymous"

    # -- routing -----------------------------------------------------------------------------

    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def route(self):
        path = urlsplit(self.path).path.rstrip("/") or "/"
        if path == VERSION_PATH:  # §1: never refused, never in maintenance
            if self.command not in ("GET", "HEAD"):
                return self.error(405, "method_not_allowed", "Use GET", headers={"Allow": "GET, HEAD"})
            return self.send(200, self.document(), {"Cache-Control": "no-store"})
        if path == MIGRATE_PATH and self.admin_digest is not None:
            return self.migrate()
        if self.state.status == "running":  # §1.7
            with self.state.lock:
                progress = dict(self.state.progress) if self.state.progress else None
            return self.send(
                503,
                {"error": "migrating", "message": "The server is applying its migrations", "migration_progress": progress},
                {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
            )
        required = self.refused_cli()
        if required:  # §1.6
            return self.error(
                426,
                "cli_outdated",
                "This server accepts CLI %s or newer" % required,
                "Upgrade the CLI to %s or newer" % required,
                {"X-Required-CLI-Version": required},
            )
        if path == HEALTH_PATH and self.command in ("GET", "HEAD"):
            return self.send(200, {"status": "ok", "schema_revision": self.state.revision()})
        if self.token_digest is not None and self.caller() == "anonymous":
            return self.error(401, "unauthorized", "A valid bearer token is required", "Send Authorization: Bearer <token>",
                              {"WWW-Authenticate": "Bearer"})
        if path == AUTH_CHECK_PATH and self.command in ("GET", "HEAD"):
            return self.send(200, {"ok": True})
        self.error(404, "not_found", "No route %s %s" % (self.command, path[:100]), "See the server's API documentation")

    def refused_cli(self):
        """The version to require when the request's X-CLI-Version is below min_cli_version, else None."""
        if not self.min_cli_version:
            return None
        sent = semver_key(self.headers.get("X-CLI-Version", ""))
        return self.min_cli_version if sent is not None and sent < semver_key(self.min_cli_version) else None

    def migrate(self):
        """§1b, in its order: 405, 401, 403, 422, 409, 202."""
        if self.command != "POST":
            return self.error(405, "method_not_allowed", "Use POST", headers={"Allow": "POST"})
        who = self.caller()
        if who == "anonymous":
            return self.error(401, "unauthorized", "This endpoint needs the admin token", "Send Authorization: Bearer <admin token>",
                              {"WWW-Authenticate": 'Bearer realm="admin"'})
        if who == "ordinary":
            return self.error(403, "forbidden", "The ordinary API token cannot start migrations", "Use the admin token")
        length = int(self.headers.get("Content-Length") or 0)
        if length > 16 * 1024:
            return self.error(422, "invalid_request", "The body is over 16 KiB")
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return self.error(422, "invalid_request", "The body is not JSON")
        target = body.get("target_revision") if isinstance(body, dict) else None
        if not isinstance(body, dict) or set(body) != {"target_revision"} or not isinstance(target, str) or not REVISION.match(target):
            return self.error(422, "invalid_request", 'Send {"target_revision": "<revision>"}')
        if self.state.status == "running":
            return self.error(409, "migration_running", "A migration run is already going", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        if target != self.state.head():
            return self.error(409, "target_mismatch", "target_revision is not the head of this release")
        if not self.state.pending():
            return self.error(409, "up_to_date", "Nothing to apply")
        if not self.state.start():
            return self.error(409, "migration_running", "A migration run is already going")
        self.send(202, self.document(), {"Cache-Control": "no-store"})

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, urlsplit(self.path).path[:100]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--version", default="1.4.2", help="the release it reports (semver or dev)")
    parser.add_argument("--min-cli-version", default="0.9.0", help="the oldest CLI it accepts ('' for none)")
    parser.add_argument("--applied", type=int, default=len(MIGRATIONS) - 1, help="how many migrations are applied at start")
    parser.add_argument("--migration-delay", type=float, default=0.5, help="seconds each migration takes")
    args = parser.parse_args()
    if args.version != "dev" and semver_key(args.version) is None:
        parser.error("--version must be semver or dev")
    token, admin = os.environ.get("PYSERVER_TOKEN") or None, os.environ.get("PYSERVER_ADMIN_TOKEN") or None
    if token and admin and hmac.compare_digest(digest(token), digest(admin)):
        parser.error("PYSERVER_ADMIN_TOKEN must differ from PYSERVER_TOKEN")
    Handler.server_version_string = args.version.lstrip("v") if args.version != "dev" else "dev"
    Handler.min_cli_version = args.min_cli_version or None
    Handler.token_digest = digest(token) if token else None
    Handler.admin_digest = digest(admin) if admin else None
    Handler.state = State(max(0, min(args.applied, len(MIGRATIONS))), args.migration_delay)
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    print(json.dumps({"url": "http://%s:%d" % (args.host, httpd.server_address[1])}), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()

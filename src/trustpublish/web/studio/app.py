"""The studio's WSGI application: routes, login, CSRF, roles and the audit trail.

A plain WSGI callable (:class:`Studio`), so it runs under the standard library's server
(``trustpublish studio``) or any production WSGI server. It holds no logic of its own:
each route reads the project folder fresh (the files are the single source of truth),
calls :mod:`trustpublish.actions` and renders a Jinja2 template from
``templates/studio/`` (a project's own ``templates/studio/`` wins).

Security: every page but the login ones needs a session (403 otherwise); every POST
needs the session's CSRF token and, when the browser sends one, a same-origin
``Origin`` (403 otherwise, nothing changed); each action is checked against the user's
role (:data:`~trustpublish.web.studio.users.PERMISSIONS`); every change is appended to
the audit log with the user, the file and the line.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ...actions import holds, review, timeline
from ...actions.audit import AuditLog
from ...actions.frontmatter import StaleFile
from ...errors import TrustpublishError
from ...render.templating import environment, render
from .sessions import COOKIE, Session, Sessions
from .users import PERMISSIONS, User, UserStore, allowed

__all__ = ["Studio", "StudioSettings"]

_MAX_UPLOAD = 20 * 1024 * 1024
_LOGIN_COOKIE = "tp_login"
_PAGE_CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
             "script-src 'none'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
             "base-uri 'none'; object-src 'none'")
_EMAIL_CSP = ("default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
              "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")


@dataclass
class StudioSettings:
    """How the studio was started. ``clock`` gives the (business) time, ``wall`` sessions'."""

    config_path: Path
    clock: Callable[[], dt.datetime]
    wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    secure_cookies: bool = False


class Studio:
    """The WSGI app. Call :meth:`login_link` for the one-time link printed at start."""

    def __init__(self, settings: StudioSettings) -> None:
        from ...deliver.engine import open_state
        from ...workspace.project import Project

        self.settings = settings
        self.sessions = Sessions()
        self._lock = threading.Lock()  # one change at a time
        first = Project.load(settings.config_path)
        self.state_dir = first.state_dir
        self.templates_dir = first.templates_dir
        self.db = open_state(first)
        self.users = UserStore(self.state_dir)
        self.audit = AuditLog(self.state_dir)
        self.url_map = Map([
            Rule("/", endpoint="status"),
            Rule("/login", endpoint="login"),
            Rule("/logout", endpoint="logout", methods=["POST"]),
            Rule("/static/studio.css", endpoint="css"),
            Rule("/calendar", endpoint="calendar"),
            Rule("/slot", endpoint="slot"),
            Rule("/slot/email", endpoint="slot_email"),
            Rule("/posts", endpoint="posts"),
            Rule("/posts/<slug>", endpoint="post"),
            Rule("/posts/<slug>/status", endpoint="post_status", methods=["POST"]),
            Rule("/posts/<slug>/privacy", endpoint="post_privacy", methods=["POST"]),
            Rule("/posts/<slug>/channels", endpoint="post_channels", methods=["POST"]),
            Rule("/hold", endpoint="hold", methods=["POST"]),
            Rule("/skip", endpoint="skip", methods=["POST"]),
            Rule("/publish", endpoint="publish", methods=["GET", "POST"]),
            Rule("/deliveries", endpoint="deliveries"),
            Rule("/deliveries/<int:delivery_id>/retry", endpoint="retry", methods=["POST"]),
            Rule("/deliveries/<int:delivery_id>/resolve", endpoint="resolve", methods=["POST"]),
            Rule("/run", endpoint="run", methods=["GET", "POST"]),
            Rule("/subscribers", endpoint="subscribers"),
            Rule("/subscribers/import", endpoint="subscribers_import", methods=["POST"]),
            Rule("/subscribers/remove", endpoint="subscribers_remove", methods=["POST"]),
            Rule("/subscribers/export.csv", endpoint="subscribers_export"),
            Rule("/audit", endpoint="audit"),
        ])

    # -- plumbing ----------------------------------------------------------------------
    def login_link(self, base_url: str, user: User) -> str:
        token = self.sessions.login_link_token(user, self.settings.wall())
        return f"{base_url.rstrip('/')}/login?{urlencode({'token': token})}"

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = _MAX_UPLOAD
        try:
            response = self._dispatch(request)
        except HTTPException as exc:
            response = self._error(request, exc.code or 500, exc.name, exc.description or "")
        except StaleFile as exc:
            response = self._error(request, 409, "Changed on disk", exc.message, exc.hint)
        except TrustpublishError as exc:
            response = self._error(request, 400, "That did not work", exc.message, exc.hint)
        except Exception:  # a bug: keep the traceback on the console, show a plain page
            import traceback

            traceback.print_exc()
            response = Response("Internal error: this is a bug in trustpublish; the studio's "
                                "console shows the details.", status=500, mimetype="text/plain")
        self._harden(response)
        return response(environ, start)

    def _harden(self, response: Response) -> None:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", _PAGE_CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"  # login links carry a token: never sent away
        headers["X-Frame-Options"] = "SAMEORIGIN"
        headers["Cache-Control"] = "no-store"

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        endpoint, args = adapter.match()
        if endpoint in ("login", "css"):
            return getattr(self, f"page_{endpoint}")(request, **args)
        session = self.sessions.get(request.cookies.get(COOKIE), self.settings.wall())
        if session is None:
            return self._error(request, 403, "Please log in",
                               "You are not logged in, or your session ended.",
                               "Use the login link printed by `trustpublish studio`, or log in "
                               "with your name and password.", login=True)
        if request.method == "POST":
            if not self._same_origin(request) or not session.csrf_ok(request.form.get("csrf")):
                return self._error(request, 403, "Refused",
                                   "This form was not sent from this studio page (the security "
                                   "token is missing or wrong). Nothing was changed.",
                                   "Reload the page and try again.", session=session)
        return getattr(self, f"page_{endpoint}")(request, session, **args)

    @staticmethod
    def _same_origin(request: Request) -> bool:
        origin = request.headers.get("Origin")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.host

    def _project(self) -> Any:
        from ...workspace.project import Project

        return Project.load(self.settings.config_path)

    def _engine(self, project: Any) -> Any:
        from ...deliver.engine import DeliveryEngine

        return DeliveryEngine(project, self.db)

    def _render(self, name: str, request: Request, session: Session | None, status: int = 200,
                **context: Any) -> Response:
        flash = []
        if session is not None:
            flash, session.flash = session.flash, []
        html = render(f"studio/{name}", {
            "user": session.user if session else None,
            "csrf": session.csrf if session else "",
            "can": (lambda action: bool(session) and allowed(session.user.role, action)),
            "path": request.path, "flash": flash, "permissions": PERMISSIONS,
            **context}, templates=self.templates_dir)
        return Response(html, status=status, mimetype="text/html")

    def _error(self, request: Request, status: int, title: str, message: str,
               hint: str | None = None, *, login: bool = False,
               session: Session | None = None) -> Response:
        if session is None and not login:
            session = self.sessions.get(request.cookies.get(COOKIE), self.settings.wall())
        return self._render("error.html.j2", request, session, status=status, title=title,
                            message=message, hint=hint, login=login)

    def _forbid(self, request: Request, session: Session, action: str) -> Response | None:
        if allowed(session.user.role, action):
            return None
        return self._error(request, 403, "Not allowed",
                           f"{session.user.name} is an {session.user.role}; only an approver "
                           f"may {action.replace('_', ' ')} here. Nothing was changed.",
                           session=session)

    @staticmethod
    def _redirect(to: str) -> Response:
        return Response("", status=303, headers={"Location": to})

    def _note(self, session: Session, kind: str, text: str) -> None:
        session.flash.append((kind, text))

    def _record(self, session: Session, action: str, target: str, *, detail: str = "",
                file: str | None = None, line: int | None = None) -> None:
        self.audit.record(user=session.user.name, action=action, target=target, detail=detail,
                          file=file, line=line, now=self.settings.wall())

    # -- login ---------------------------------------------------------------------------
    def page_css(self, request: Request) -> Response:
        source, _f, _u = environment(self.templates_dir).loader.get_source(  # type: ignore
            environment(self.templates_dir), "studio/studio.css")
        response = Response(source, mimetype="text/css")
        return response

    def page_login(self, request: Request) -> Response:
        wall = self.settings.wall()
        token = request.args.get("token")
        if request.method == "GET" and token:
            session = self.sessions.redeem(token, wall)
            if session is None:
                return self._error(request, 403, "This login link was used already",
                                   "A login link works once. Ask for a new one: restart "
                                   "`trustpublish studio`, or log in with your name and password.",
                                   login=True)
            return self._start(session)
        if request.method == "POST":
            nonce = request.cookies.get(_LOGIN_COOKIE, "")
            sent = request.form.get("csrf", "")
            import hmac

            if not nonce or not hmac.compare_digest(nonce, sent) or not self._same_origin(request):
                return self._error(request, 403, "Refused",
                                   "The login form was not sent from this page. Reload it and "
                                   "try again.", login=True)
            user = self.users.verify(request.form.get("name", "").strip(),
                                     request.form.get("password", ""))
            if user is None:
                return self._login_form(request, "That name and password do not match.", 403)
            return self._start(self.sessions.start(user, wall))
        return self._login_form(request, None)

    def _login_form(self, request: Request, problem: str | None, status: int = 200) -> Response:
        import secrets

        nonce = secrets.token_urlsafe(24)
        response = self._render("login.html.j2", request, None, status=status, nonce=nonce,
                                problem=problem)
        response.set_cookie(_LOGIN_COOKIE, nonce, httponly=True, samesite="Strict",
                            secure=self.settings.secure_cookies, path="/login")
        return response

    def _start(self, session: Session) -> Response:
        response = self._redirect("/")
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="Strict",
                            secure=self.settings.secure_cookies, path="/")
        response.delete_cookie(_LOGIN_COOKIE, path="/login")
        return response

    def page_logout(self, request: Request, session: Session) -> Response:
        self.sessions.end(session.id)
        response = self._redirect("/login")
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- status, calendar --------------------------------------------------------------
    def page_status(self, request: Request, session: Session) -> Response:
        project = self._project()
        now = self.settings.clock()
        summary = timeline.attention(project, self._engine(project), now)
        return self._render("status.html.j2", request, session, s=summary,
                            zone=project.config.zone, site=project.config.site,
                            problems=len(review.read_errors(project)))

    def page_calendar(self, request: Request, session: Session) -> Response:
        project = self._project()
        zone = project.config.zone
        now = self.settings.clock()
        view = "month" if request.args.get("view") == "month" else "week"
        try:
            day = dt.date.fromisoformat(request.args.get("start", ""))
        except ValueError:
            day = now.astimezone(zone).date()
        if view == "week":
            first = day - dt.timedelta(days=day.weekday())
            last = first + dt.timedelta(days=7)
            prev, nxt = first - dt.timedelta(days=7), last
        else:
            first = day.replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1)
            prev, nxt = (first - dt.timedelta(days=1)).replace(day=1), last
        grid_start = first - dt.timedelta(days=first.weekday())
        grid_end = last + dt.timedelta(days=(7 - last.weekday()) % 7)
        start = dt.datetime.combine(grid_start, dt.time(), zone).astimezone(dt.timezone.utc)
        end = dt.datetime.combine(grid_end, dt.time(), zone).astimezone(dt.timezone.utc)
        entries = timeline.calendar_entries(project, self._engine(project), start, end, now)
        versions = timeline.post_versions(project, entries)
        days: dict[dt.date, list[timeline.Entry]] = {}
        for entry in entries:
            days.setdefault(entry.local.date(), []).append(entry)
        weeks = []
        cursor = grid_start
        while cursor < grid_end:
            weeks.append([(cursor + dt.timedelta(days=i)) for i in range(7)])
            cursor += dt.timedelta(days=7)
        return self._render("calendar.html.j2", request, session, view=view, weeks=weeks,
                            days=days, first=first, last=last, prev=prev, next=nxt,
                            today=now.astimezone(zone).date(), zone=zone,
                            held=timeline.held_posts(project), states=timeline.STATES,
                            site=project.config.site, holds=timeline.holds(project),
                            versions=versions, schedule=holds.schedule_version(project),
                            now=now, back=request.full_path.rstrip("?"))

    def _slot_args(self, request: Request, project: Any) -> tuple[str, dt.datetime]:
        channel = request.args.get("channel", "")
        try:
            when = dt.datetime.fromisoformat(request.args.get("when", ""))
        except ValueError:
            raise NotFound() from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=project.config.zone)
        return channel, when.astimezone(dt.timezone.utc)

    def page_slot(self, request: Request, session: Session) -> Response:
        project = self._project()
        channel, when = self._slot_args(request, project)
        entry, page = timeline.slot_card(project, self._engine(project), channel, when,
                                         self.settings.clock())
        return self._render("slot.html.j2", request, session, entry=entry,
                            email=page is not None,
                            query=urlencode({"channel": channel, "when": when.isoformat()}),
                            site=project.config.site, now=self.settings.clock(),
                            versions=timeline.post_versions(project, [entry]),
                            schedule=holds.schedule_version(project),
                            back=request.full_path.rstrip("?"))

    def page_slot_email(self, request: Request, session: Session) -> Response:
        project = self._project()
        channel, when = self._slot_args(request, project)
        _entry, page = timeline.slot_card(project, self._engine(project), channel, when,
                                          self.settings.clock())
        if page is None:
            raise NotFound()
        response = Response(page, mimetype="text/html")
        response.headers["Content-Security-Policy"] = _EMAIL_CSP
        return response

    # -- posts ---------------------------------------------------------------------------
    def page_posts(self, request: Request, session: Session) -> Response:
        project = self._project()
        return self._render("posts.html.j2", request, session, rows=review.post_rows(project),
                            errors=review.read_errors(project))

    def page_post(self, request: Request, session: Session, slug: str) -> Response:
        project = self._project()
        view = review.post_view(project, slug)
        social = list(project.channels_of_kind("post"))
        return self._render("post.html.j2", request, session, v=view, social=social,
                            channels=list(project.config.channels))

    def page_post_status(self, request: Request, session: Session, slug: str) -> Response:
        status = request.form.get("status", "")
        action = {"approved": "approve", "review": "review", "draft": "draft"}.get(status)
        if action is None:
            raise TrustpublishError(f"unknown status {status!r}")
        refused = self._forbid(request, session, action)
        if refused:
            return refused
        with self._lock:
            project = self._project()
            edit = review.change_status(project, slug, status, expected=_version(request))
            if edit.changed:
                self._record(session, f"status {status}", slug, detail=edit.after.strip(),
                             file=_rel(project.root, edit.path), line=edit.line)
        words = {"approved": "approved", "review": "sent for review", "draft": "back to draft"}
        self._note(session, "ok", f"{slug} is {words[status]}."
                   + ("" if edit.changed else " (It already was: nothing changed.)"))
        return self._redirect(f"/posts/{slug}")

    def page_post_privacy(self, request: Request, session: Session, slug: str) -> Response:
        refused = self._forbid(request, session, "privacy")
        if refused:
            return refused
        key = request.form.get("key", "")
        with self._lock:
            project = self._project()
            edit = review.approve_finding(project, slug, key, expected=_version(request))
            if edit.changed:
                self._record(session, "privacy approve", slug, detail=key,
                             file=_rel(project.root, edit.path), line=edit.line)
        self._note(session, "ok", f"Finding {key} approved for {slug} (privacy_ok).")
        return self._redirect(f"/posts/{slug}")

    def page_post_channels(self, request: Request, session: Session, slug: str) -> Response:
        refused = self._forbid(request, session, "hold")
        if refused:
            return refused
        chosen = request.form.getlist("channel")
        with self._lock:
            project = self._project()
            edit = review.set_channels(project, slug, chosen, expected=_version(request))
            if edit.changed:
                held = [c for c in project.config.channels if c not in chosen]
                self._record(session, "channels", slug,
                             detail="only " + ", ".join(chosen)
                             + (f" (held out of {', '.join(held)})" if held else ""),
                             file=_rel(project.root, edit.path), line=edit.line)
        self._note(session, "ok", f"{slug} goes to {', '.join(chosen)} only."
                   + ("" if edit.changed else " (It already did: nothing changed.)"))
        return self._redirect(f"/posts/{slug}")

    # -- hold or skip --------------------------------------------------------------------
    def page_hold(self, request: Request, session: Session) -> Response:
        refused = self._forbid(request, session, "hold")
        if refused:
            return refused
        excerpt_id, channel = request.form.get("excerpt", ""), request.form.get("channel", "")
        release = request.form.get("release") == "1"
        with self._lock:
            project = self._project()
            edit = holds.hold_excerpt(project, excerpt_id, channel, release=release,
                                      expected=_version(request))
            if edit.changed:
                self._record(session, "release hold" if release else "hold", excerpt_id,
                             detail=("back into " if release else "out of ") + channel,
                             file=_rel(project.root, edit.path), line=edit.line)
        if release:
            text = f"{excerpt_id} goes to {channel} again."
        else:
            text = f"{excerpt_id} is held from {channel}; the other channels still get it."
        self._note(session, "ok", text + ("" if edit.changed else " (Nothing changed.)"))
        return self._redirect(_back(request))

    def page_skip(self, request: Request, session: Session) -> Response:
        refused = self._forbid(request, session, "skip")
        if refused:
            return refused
        channel = request.form.get("channel", "")
        try:
            when = dt.datetime.fromisoformat(request.form.get("when", ""))
        except ValueError:
            raise TrustpublishError("the form does not say which slot",
                                    hint="reload the page and try again") from None
        if when.tzinfo is None:
            raise TrustpublishError("the form's slot time has no zone",
                                    hint="reload the page and try again")
        release = request.form.get("release") == "1"
        with self._lock:
            project = self._project()
            edit = holds.skip_slot(project, self._engine(project).ledger, channel,
                                   when.astimezone(dt.timezone.utc), release=release,
                                   expected=_version(request))
            local = when.astimezone(project.config.zone).strftime("%Y-%m-%d %H:%M")
            if edit.changed:
                self._record(session, "release skip" if release else "skip",
                             f"{channel} {local}",
                             detail="sends again" if release else
                             "sends nothing; the next slot takes its items",
                             file=_rel(project.root, edit.path), line=edit.line)
        text = (f"The {channel} slot at {local} sends again." if release else
                f"The {channel} slot at {local} is skipped; the next slot takes what it "
                "would have sent.")
        self._note(session, "ok", text + ("" if edit.changed else " (Nothing changed.)"))
        return self._redirect(_back(request))

    # -- publish now ---------------------------------------------------------------------
    def page_publish(self, request: Request, session: Session) -> Response:
        refused = self._forbid(request, session, "publish")
        if refused:
            return refused
        source = request.form if request.method == "POST" else request.args
        excerpt_id, channel = source.get("excerpt", ""), source.get("channel", "")
        project = self._project()
        now = self.settings.clock()
        if request.method == "GET":
            card = timeline.publish_card(project, excerpt_id, channel, now)
            return self._render("publish.html.j2", request, session, card=card,
                                excerpt_id=excerpt_id, channel=channel)
        with self._lock:
            report = timeline.publish(project, self._engine(project), excerpt_id, channel, now)
            self._record(session, "publish now", excerpt_id, detail=f"to {channel}: "
                         + "; ".join(report.lines))
        kind = "ok" if report.ok else "bad"
        for line in report.lines or ["nothing was sent"]:
            self._note(session, kind, line)
        return self._redirect("/deliveries")

    # -- deliveries ----------------------------------------------------------------------
    def page_deliveries(self, request: Request, session: Session) -> Response:
        project = self._project()
        engine = self._engine(project)
        state = request.args.get("state") or None
        channel = request.args.get("channel") or None
        try:
            limit = max(1, min(int(request.args.get("limit", "200")), 5000))
        except ValueError:
            limit = 200
        rows = engine.ledger.deliveries(states=[state] if state else None, channel=channel,
                                        limit=limit, newest_first=True)
        return self._render("deliveries.html.j2", request, session, rows=rows, state=state,
                            channel=channel, limit=limit, channels=list(project.config.channels),
                            zone=project.config.zone,
                            states=("planned", "sending", "sent", "failed", "unknown", "missed",
                                    "skipped"))

    def page_retry(self, request: Request, session: Session, delivery_id: int) -> Response:
        refused = self._forbid(request, session, "retry")
        if refused:
            return refused
        with self._lock:
            project = self._project()
            row = self._engine(project).retry(delivery_id, self.settings.clock())
            self._record(session, "retry", f"#{row.id}", detail=f"{row.item} to {row.channel}")
        self._note(session, "ok", f"#{row.id} {row.item} → {row.channel} is planned again. "
                                  "“Send what is due now” sends it.")
        return self._redirect("/deliveries")

    def page_resolve(self, request: Request, session: Session, delivery_id: int) -> Response:
        refused = self._forbid(request, session, "resolve")
        if refused:
            return refused
        sent = request.form.get("outcome") == "sent"
        with self._lock:
            project = self._project()
            row = self._engine(project).resolve(delivery_id, sent, self.settings.clock())
            self._record(session, "resolve", f"#{row.id}",
                         detail=("sent" if sent else "not sent") + f": {row.item} to {row.channel}")
        self._note(session, "ok", f"#{row.id}: " + ("recorded as sent." if sent else
                                                    "planned again; the next run sends it."))
        return self._redirect("/deliveries")

    def page_run(self, request: Request, session: Session) -> Response:
        refused = self._forbid(request, session, "run")
        if refused:
            return refused
        project = self._project()
        engine = self._engine(project)
        now = self.settings.clock()
        if request.method == "GET":
            report = timeline.due_now(engine, now)
            return self._render("run.html.j2", request, session, report=report)
        with self._lock:
            report = timeline.send_due(engine, now)
            summary = ", ".join(f"{n} {k}" for k, n in sorted(report.counts.items()))
            self._record(session, "send due", "timetable", detail=summary or "nothing due")
        for line in report.lines or ["Nothing was due."]:
            self._note(session, "ok" if report.ok else "bad", line)
        return self._redirect("/deliveries")

    # -- subscribers ---------------------------------------------------------------------
    def _subscribers(self) -> Any:
        from ...deliver.subscribers import Subscribers

        return Subscribers(self.db)

    def page_subscribers(self, request: Request, session: Session, report: Any = None,
                         upload: str = "") -> Response:
        query = (request.args.get("q") or "").strip().lower()
        store = self._subscribers()
        rows, total = [], 0
        for subscriber in store.iter_all():
            total += 1
            if query and query not in subscriber.email and query not in subscriber.name.lower():
                continue
            if len(rows) < 200:
                rows.append(subscriber)
        return self._render("subscribers.html.j2", request, session, rows=rows, total=total,
                            q=query, report=report, upload=upload)

    def page_subscribers_import(self, request: Request, session: Session) -> Response:
        refused = self._forbid(request, session, "subscribers")
        if refused:
            return refused
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise TrustpublishError("no file was chosen", hint="choose a .csv file, then Import")
        name = Path(upload.filename).name
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            upload.save(str(path))
            with self._lock:
                report = self._subscribers().import_csv(path, self.settings.clock())
                self._record(session, "subscribers import", name,
                             detail=f"{report.added} added, {report.updated} updated, "
                                    f"{len(report.bad)} bad rows")
        return self.page_subscribers(request, session, report=report, upload=name)

    def page_subscribers_remove(self, request: Request, session: Session) -> Response:
        refused = self._forbid(request, session, "subscribers")
        if refused:
            return refused
        email = request.form.get("email", "").strip()
        with self._lock:
            known = self._subscribers().suppress(email, reason="unsubscribed",
                                                 source=f"studio:{session.user.name}",
                                                 now=self.settings.clock())
            self._record(session, "subscribers remove", email)
        self._note(session, "ok", f"{email} will get no more emails."
                   + ("" if known else " (It was not on the list; it is now blocked.)"))
        return self._redirect("/subscribers")

    def page_subscribers_export(self, request: Request, session: Session) -> Response:
        from ...deliver.subscribers import write_csv

        buffer = io.StringIO()
        write_csv(self._subscribers().iter_all(), buffer)
        return Response(buffer.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="subscribers.csv"'})

    # -- audit ---------------------------------------------------------------------------
    def page_audit(self, request: Request, session: Session) -> Response:
        return self._render("audit.html.j2", request, session, entries=self.audit.latest(500))


def _version(request: Request) -> str:
    """The file fingerprint the page was rendered with (required: edits are never blind)."""
    version = request.form.get("version", "")
    if not version:
        raise TrustpublishError("the form does not say which version of the file it shows",
                                hint="reload the page and try again")
    return version


def _back(request: Request) -> str:
    """Where a form returns to: its ``back`` path on this site, else the calendar."""
    back = request.form.get("back", "")
    # A path on this site only: browsers drop tabs and newlines from URLs, so "/\t/host"
    # would become "//host" (another site); no whitespace or control characters either.
    if (back.startswith("/") and not back.startswith("//") and "\\" not in back
            and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in back)):
        return back
    return "/calendar"


def _rel(root: Path, path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)

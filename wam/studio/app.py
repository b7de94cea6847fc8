"""The studio's web application (Starlette): the page and its static files, the JSON API the
page calls, and the media routes, all behind one access check.

Access: the server listens on 127.0.0.1 only, and every request must carry the session's
random token — in the URL wam printed (``/?token=…``: the page then sets it as an
``HttpOnly; SameSite=Strict`` cookie and drops it from the address bar), or in that cookie, or
in an ``X-Wam-Token`` header. A request for another Host than ``127.0.0.1:PORT`` or
``localhost:PORT`` (DNS rebinding) and a state-changing request from another Origin are
refused too. Everything refused is a 403. Media are named by shot id or sentence number,
never by path (``studio.media``).
"""

from __future__ import annotations

import asyncio
import hmac
import mimetypes
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wam.core.errors import UsageError, WamError, one_line

STATIC = Path(__file__).with_name("static")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; media-src 'self'; "
                                 b"connect-src 'self'; frame-ancestors "
                                 b"'none'; base-uri 'none'; form-action 'none'"),
    (b"cache-control", b"no-store"),
]


class TokenGate:
    """ASGI middleware: only requests with the token, for this server's own host, get through."""

    def __init__(self, app, token: str, port: int):
        self.app = app
        self.token = token
        self.cookie = f"wam_studio_{port}"
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}

    def _has_token(self, scope) -> tuple[bool, bool]:
        """(whether the request carries the token, whether it came in the query string)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        for given in query.get("token", []):
            if hmac.compare_digest(given.encode(), self.token.encode()):
                return True, True
        if "x-wam-token" in headers and hmac.compare_digest(headers["x-wam-token"].encode(),
                                                            self.token.encode()):
            return True, False
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header carries no token
            return False, False
        morsel = cookies.get(self.cookie)
        return (morsel is not None and hmac.compare_digest(morsel.value.encode(), self.token.encode())), False

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        allowed, in_query = self._has_token(scope)
        host = headers.get("host", "")
        origin = headers.get("origin")
        if host not in self.hosts:
            allowed = False
        if scope["method"] not in ("GET", "HEAD") and origin is not None and origin != f"http://{host}":
            allowed = False
        if not allowed:
            response = PlainTextResponse("wam studio: forbidden (open the address "
                                         "wam studio printed, with its token)",
                                         status_code=403)
        elif in_query and scope["method"] == "GET" and scope["path"] == "/":
            # the token moves into a cookie and out of the address bar (and the browser's history)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
        else:
            return await self.app(scope, receive, _with_headers(send))
        await response(scope, receive, _with_headers(send))


def _with_headers(send):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            message = dict(message, headers=list(message.get("headers", [])) + SECURITY_HEADERS)
        await send(message)
    return wrapped


def studio_app(studio, token: str, port: int) -> TokenGate:
    """The application for ``studio`` (a ``studio.server.Studio``), answering on ``port`` to ``token``."""

    async def planning(fn, *args, **kwargs):
        return await asyncio.wrap_future(studio.session.run(fn, *args, **kwargs))

    async def media(fn, *args, **kwargs):
        return await asyncio.wrap_future(studio.jobs.run(fn, *args, **kwargs))

    async def state_after(fn, *args, **kwargs) -> Response:
        try:
            await planning(fn, *args, **kwargs)
        except WamError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(await planning(studio.state))

    async def body(request: Request) -> dict:
        try:
            data = await request.json()
        except ValueError:
            raise UsageError("the request is not JSON") from None
        if not isinstance(data, dict):
            raise UsageError("the request is not a JSON object")
        return data

    async def page(request):
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def state(request):
        return JSONResponse(await planning(studio.state))

    async def text(request):
        data = await body(request)
        return await state_after(studio.session.edit_text, data.get("text"))

    async def swap(request):
        data = await body(request)
        return await state_after(studio.session.swap, _int(data, "sentence"), _int(data, "cut"),
                                 data.get("shot_id"))

    async def pin(request):
        data = await body(request)
        return await state_after(studio.session.pin, _int(data, "sentence"), _int(data, "cut"),
                                 bool(data.get("pinned")))

    async def ban(request):
        data = await body(request)
        if data.get("clip_file") is not None:
            return await state_after(studio.session.unban_clip, data.get("clip_file"))
        return await state_after(studio.session.ban, data.get("shot_id"), clip=bool(data.get("clip")),
                                 on=bool(data.get("banned", True)))

    async def settings(request):
        data = await body(request)
        music = data.get("music")
        voice = data.get("voice")
        return await state_after(studio.session.change_settings, pace=data.get("pace"),
                                 aspect=data.get("aspect"), voice=voice or None,
                                 no_voice="voice" in data and not voice,
                                 music=music if isinstance(music, int) else None,
                                 no_music="music" in data and music is None)

    async def save(request):
        try:
            written = await planning(studio.session.save)
        except WamError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"written": written, "state": await planning(studio.state)})

    async def render(request):
        if request.method == "POST":
            try:
                timeline = await planning(studio.save_and_snapshot)
                studio.jobs.start_render(timeline)
            except WamError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(studio.jobs.render.to_dict())

    async def export(request):
        data = await body(request)
        try:
            timeline = await planning(studio.save_and_snapshot)
            result = await media(studio.jobs.export, timeline, data.get("format"))
        except WamError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(result)

    async def thumb(request):
        try:
            seconds = float(request.query_params.get("t", "0"))
            width = int(request.query_params.get("w", "320"))
        except ValueError:
            return PlainTextResponse("bad thumbnail request", status_code=400)
        jpeg = await asyncio.to_thread(studio.session.files.thumbnail, request.path_params["shot_id"],
                                       seconds, width)
        if jpeg is None:
            return PlainTextResponse("no such picture", status_code=404)
        return Response(jpeg, media_type="image/jpeg")

    async def clip(request):
        path = studio.session.files.file_of(request.path_params["shot_id"])
        if path is None:
            return PlainTextResponse("no such clip", status_code=404)
        return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")

    async def sentence(request):
        try:
            timeline = await planning(studio.session.snapshot)
            path = await media(studio.jobs.preview, timeline, request.path_params["index"])
        except WamError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return FileResponse(path, media_type="video/mp4")

    async def rendered(request):
        r = studio.jobs.render
        if r.state != "done" or not r.output or not Path(r.output).is_file():
            return PlainTextResponse("nothing rendered yet", status_code=404)
        return FileResponse(r.output, media_type="video/mp4")

    async def failed(request, exc):
        return JSONResponse({"error": f"unexpected {type(exc).__name__}: {one_line(exc)}"}, status_code=500)

    async def refused(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=400)

    routes = [
        Route("/", page), Route("/api/state", state), Route("/api/text", text, methods=["POST"]),
        Route("/api/swap", swap, methods=["POST"]), Route("/api/pin", pin, methods=["POST"]),
        Route("/api/ban", ban, methods=["POST"]), Route("/api/settings", settings, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]), Route("/api/render", render, methods=["GET", "POST"]),
        Route("/api/export", export, methods=["POST"]),
        Route("/media/thumb/{shot_id}", thumb), Route("/media/clip/{shot_id}", clip),
        Route("/media/sentence/{index:int}.mp4", sentence), Route("/media/render.mp4", rendered),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={WamError: refused, Exception: failed})
    return TokenGate(app, token, port)


def _int(data: dict, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UsageError(f"{key} must be a whole number")
    return value

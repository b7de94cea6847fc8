"""``wam studio``: the interactive editor in the browser (layer 7: it drives the use cases of
``wam.app``, layer 6, for one story while the user edits it).

``saved`` is the plan the studio keeps beside its story (``story.wam.json``, which ``wam plan``
and ``wam render STORY`` re-plan against); ``session`` holds one story being edited (its text,
settings and current plan; re-planning, swaps, pins, bans, previews, the render and the
exports); ``views`` turns a plan into what the page shows; ``media`` serves pictures and
video for shots of the indexed libraries only; ``app`` is the Starlette application (the
access token, the JSON API, the static page in ``static/``) and ``server`` runs it with
uvicorn on 127.0.0.1. Starlette and uvicorn are imported only by ``app`` and ``server``.
"""

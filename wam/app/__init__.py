"""The use cases of wam (layer 6), called alike by the CLI, ``wam.batch``, ``wam.studio`` and
Python users: plan a story (``planning``), render a plan (``rendering``), export it for an
editor or draw its storyboard (``handoff``). Each takes the settings objects of
``wam.core.settings`` (``PlanSettings``, ``RenderSettings``) and decides what the commands used to
decide themselves (the frame over a talk, the render's size, the render cache, the plan kept
for the next re-plan); the CLI only parses options into settings, calls one of these and prints.

    from wam.app import PlanSettings, RenderSettings, story_plan, render_plan
    plan = story_plan("story.txt", PlanSettings(pace="fast"))
    render_plan(plan, "story.mp4", RenderSettings(subtitles="none"))
"""

from __future__ import annotations

from wam.app.handoff import export_cut, storyboard_page
from wam.app.planning import (
    files_read,
    is_plan_file,
    previous_plan,
    read_sentences,
    saved_plan_or_story,
    story_plan,
    write_plan,
)
from wam.app.rendering import render_options, render_plan, user_render_cache
from wam.core.settings import PlanSettings, RenderSettings

__all__ = ["PlanSettings", "RenderSettings", "export_cut", "files_read", "is_plan_file", "previous_plan",
           "read_sentences", "render_options", "render_plan", "saved_plan_or_story", "story_plan",
           "storyboard_page", "user_render_cache", "write_plan"]

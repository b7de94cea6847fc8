"""Plain text is plain; Markdown only when the story is Markdown."""

import io
import sys

import pytest

from wam.story import read_story, read_story_file

TEXT = "# Notes\n\nIt's $HOME and `backticks`, *stars* and **bold**.\n- a dash line\n"


def test_plain_text_is_shown_verbatim():
    texts = [s.text for s in read_story(TEXT)]
    assert texts == ["# Notes", "It's $HOME and `backticks`, *stars* and **bold**.", "- a dash line"]


def test_markdown_is_read_as_markdown():
    texts = [s.text for s in read_story(TEXT, markdown=True)]
    assert texts == ["Notes", "It's $HOME and backticks, stars and bold.", "a dash line"]


@pytest.mark.parametrize("name,markdown,first", [
    ("story.txt", None, "# Notes"), ("story.md", None, "Notes"), ("STORY.Markdown", None, "Notes"),
    ("story.txt", True, "Notes"), ("story.md", False, "# Notes"),
])
def test_story_files_are_markdown_by_their_name_or_when_asked(tmp_path, name, markdown, first):
    path = tmp_path / name
    path.write_text(TEXT, encoding="utf-8")
    assert read_story_file(str(path), markdown=markdown)[0].text == first


def test_stdin_is_plain_unless_asked(monkeypatch):
    for markdown, first in ((None, "# Notes"), (True, "Notes")):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
        assert read_story_file("-", markdown=markdown)[0].text == first

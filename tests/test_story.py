"""Story reading: sentences, paragraphs, durations; plain text is plain, Markdown only when the story
is Markdown."""

import io
import sys

import pytest

from wam.core.errors import StoryError
from wam.core.story import MIN_SENTENCE_SECONDS, PARAGRAPH_PAUSE, read_story, read_story_file, reading_seconds

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


def test_story_sentences_paragraphs_and_markdown():
    text = ("# A day in town\n\nThe sun rises. Dr. Smith opens the café!\n- first **bold** point\n\n\n"
            "2. Numbered [link](http://x) item\n")
    s = read_story(text, markdown=True)
    assert [x.text for x in s] == ["A day in town", "The sun rises.", "Dr. Smith opens the café!",
                                   "first bold point", "Numbered link item"]
    assert [x.paragraph for x in s] == [0, 1, 1, 1, 2]
    assert [x.paragraph_start for x in s] == [True, True, False, False, True]
    assert s[3].paragraph_end and not s[2].paragraph_end


def test_story_cjk_and_durations():
    s = read_story("今天天气很好。我们去公园吧！你呢？")
    assert [x.text for x in s] == ["今天天气很好。", "我们去公园吧！", "你呢？"]
    assert reading_seconds("今天天气很好。") == pytest.approx(6 / 4.5)
    long = read_story("one two three four five six seven eight nine ten eleven twelve thirteen.")[0]
    assert long.duration == pytest.approx(13 / 2.6 + PARAGRAPH_PAUSE, rel=1e-3)
    assert read_story("Hi. Go.")[0].duration == MIN_SENTENCE_SECONDS


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\ufeff"])
def test_empty_story_is_an_error(text):
    with pytest.raises(StoryError, match="empty"):
        read_story(text)


@pytest.mark.parametrize("text", ["---\n***\n", "😀 🎉 🚀\n\n🌊🌊", "!!! ??? …"])
def test_a_story_of_only_symbols_or_emoji_says_it_has_no_words(text):  # issue 19: was "empty"
    with pytest.raises(StoryError, match="no words to match footage to .only symbols or emoji."):
        read_story(text)


def test_strange_text_is_kept_verbatim():
    s = read_story('She said "100% {ok}" \\ and left: 🚀 — مرحبا.')
    assert s[0].text == 'She said "100% {ok}" \\ and left: 🚀 — مرحبا.'


def test_over_long_sentences_are_planned_in_parts():
    """Issue 19: a 10,000-word line without punctuation becomes sentences of at most
    MAX_SENTENCE_SECONDS each, every word kept in order; a long sentence with commas is cut
    after them first."""
    from wam.core.story import MAX_SENTENCE_SECONDS, reading_seconds

    words = [f"w{i % 7}x" for i in range(10_000)]
    parts = read_story(" ".join(words))
    assert len(parts) > 100
    assert all(reading_seconds(p.text) <= MAX_SENTENCE_SECONDS for p in parts)
    assert " ".join(p.text for p in parts).split() == words
    clause = "the river runs past the old mill and the quiet fields"
    long = ", ".join([clause] * 6) + "."
    parts = read_story(long)
    assert len(parts) > 1 and all(p.text.endswith((",", ".")) for p in parts)
    assert " ".join(p.text for p in parts) == long
    assert len(read_story("A short sentence stays whole, commas and all.")) == 1

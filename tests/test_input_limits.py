"""Inputs a careless or hostile user gives wam (issue 19): endless or huge files, text in
UTF-16 or with NUL bytes, a plan given as a story, JSON nested too deeply. Every input is
read with a size limit (``wam.core.textfile``), and each case is one line with its exit code."""

import json
import os
import subprocess
import threading

import pytest
from click.testing import CliRunner

from test_cli_errors import one_line, run, tiny_plan
from wam.cli import cli
from wam.core.config import MAX_TEXT_BYTES
from wam.core.errors import InputError, PlanNotStoryError, UsageError, WamError
from wam.core.story import read_story, read_story_file
from wam.core.textfile import parse_json, read_bytes, read_text, text_encoding

STORY = "A red bus drives down the street.\n\nWaves roll onto a sandy beach. The forest is quiet.\n"


# ------------------------------------------------------------------ wam.core.textfile


def test_a_file_over_its_limit_is_refused_and_one_at_it_is_read(tmp_path):
    f = tmp_path / "big.txt"
    f.write_bytes(b"word " * 300)  # 1500 bytes
    assert len(read_bytes(str(f), what="the story", limit=1500, error=InputError)) == 1500
    with pytest.raises(InputError,
                       match=r"the story .*big.txt is larger than 1,499 bytes, the most wam reads"):
        read_bytes(str(f), what="the story", limit=1499, error=InputError)


def test_an_endless_stream_stops_at_the_limit():
    """A pipe that never ends (``yes |``) is refused once the limit is passed, not read for ever."""
    read_end, write_end = os.pipe()

    def feed():
        try:
            while True:
                os.write(write_end, b"y\n" * 4096)
        except OSError:  # the reader is gone
            pass
        finally:
            os.close(write_end)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        with pytest.raises(InputError, match="larger than 3 MB"):
            read_bytes(f"/dev/fd/{read_end}", what="the story", limit=3 * 2**20, error=InputError)
    finally:
        os.close(read_end)
    feeder.join()


def test_nul_bytes_are_not_text_and_stop_the_read_at_once(tmp_path):
    with pytest.raises(InputError, match="/dev/zero is not text: it holds NUL bytes"):
        # a limit it would never reach
        read_bytes("/dev/zero", what="the plan", limit=2**40, error=InputError)
    f = tmp_path / "nul.txt"
    f.write_bytes(b"A red bus.\x00\x00 A beach.")
    with pytest.raises(InputError, match="not text"):
        read_text(str(f), what="the story", limit=MAX_TEXT_BYTES, error=InputError)
    f.write_bytes("A red bus.\0 A beach.".encode("utf-16"))  # a NUL character inside UTF-16 text
    with pytest.raises(InputError, match="not text"):
        read_text(str(f), what="the story", limit=MAX_TEXT_BYTES, error=InputError)


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_unicode_text_with_or_without_a_byte_order_mark_is_read(tmp_path, codec):
    text = "Ärger im Café.\nA red bus drives down the street — fast.\n"
    f = tmp_path / "story.txt"
    f.write_bytes(text.encode(codec))
    assert read_text(str(f), what="the story", limit=MAX_TEXT_BYTES, error=InputError) == text
    assert read_story_file(str(f)) == read_story(text)


def test_text_encoding_is_told_by_the_bytes():
    assert text_encoding("Hello there".encode("utf-16-le")) == "utf-16-le"
    assert text_encoding("Hello there".encode("utf-16-be")) == "utf-16-be"
    assert text_encoding("Grüße".encode()) == "utf-8"
    assert text_encoding(b"\0" * 64) == "utf-8"  # all NUL: not UTF-16 text, refused as not text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", ["城市从不睡觉。\n一只猫看着世界。\n",
                                  "Город никогда не спит.\nКошка смотрит.\n",
                                  "Η πόλη δεν κοιμάται ποτέ 2024.\n"])
def test_utf16_without_a_bom_in_another_script_is_read(tmp_path, codec, text):
    """Chinese, Russian or Greek saved as UTF-16 without a byte-order mark hold few NUL bytes
    (their line ends, spaces, digits): they were refused as "not text". A UTF-8 text with a
    stray NUL, or binary bytes, still are."""
    f = tmp_path / "story.txt"
    f.write_bytes(text.encode(codec))
    assert read_text(str(f), what="the story", limit=MAX_TEXT_BYTES, error=InputError) == text
    for bad in (b"A red bus.\x00 A beach.\n", b"A red bus. \x00A beach.\n", "Grüße\0 aus Köln".encode(),
                bytes(range(256)) * 4):
        f.write_bytes(bad)
        with pytest.raises((InputError, UnicodeDecodeError)):
            read_text(str(f), what="the story", limit=MAX_TEXT_BYTES, error=InputError)


def test_json_nested_too_deeply_is_bad_json_not_a_recursion_error(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="nested too deeply"):
        parse_json("[" * 100_000)
    assert parse_json('{"a": [1, [2]]}') == {"a": [1, [2]]}
    import wam.core.timeline

    def too_deep(d):  # a document that parses but is too deep for the checker's recursion
        raise RecursionError("maximum recursion depth exceeded")

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(tiny_plan(tmp_path / "clip.mp4")))
    monkeypatch.setattr(wam.core.timeline, "timeline_from_dict", too_deep)
    with pytest.raises(WamError, match="cannot read the plan .*maximum recursion depth"):
        wam.core.timeline.read_plan(plan)


# ----------------------------------------------------------------- story and sidecars


def test_a_plan_or_json_given_as_a_story_is_refused(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(tiny_plan(tmp_path / "clip.mp4")))
    with pytest.raises(PlanNotStoryError, match="plan.json is a wam plan, not a story"):
        read_story_file(str(plan))
    doc = tmp_path / "list.txt"
    doc.write_text('[{"text": "A red bus."}]')
    with pytest.raises(PlanNotStoryError, match="list.txt is a JSON document, not a story"):
        read_story_file(str(doc))
    assert issubclass(PlanNotStoryError, UsageError)
    story = tmp_path / "bracket.txt"
    story.write_text("[Intro] A red bus drives down the street. {Sound: horn}\n")
    assert read_story_file(str(story))[0].text.startswith("[Intro] A red bus")


def test_sidecars_in_utf16_are_read_and_broken_ones_are_warnings(tmp_path):
    from wam.library.describe import read_sidecars

    clip = tmp_path / "bus.mp4"
    clip.write_bytes(b"")
    (tmp_path / "bus.txt").write_bytes("A red bus at dusk".encode("utf-16-le"))  # Notepad's "Unicode", no BOM
    (tmp_path / "bus.json").write_bytes(json.dumps({"tags": ["bus", "street"]}).encode("utf-16"))
    side = read_sidecars(clip)
    assert side.description == "A red bus at dusk" and side.tags == ("bus", "street") and not side.warnings
    (tmp_path / "bus.txt").write_bytes(b"A red bus\x00\x00\x00 at dusk \x00\x01\x02")
    (tmp_path / "bus.json").write_bytes(b'{"description": "' + b"x" * (2**20 + 10) + b'"}')
    side = read_sidecars(clip)
    assert side.description == "" and side.tags == ()
    assert [w.split(" is ")[0] for w in side.warnings] == ["the sidecar bus.txt", "the sidecar bus.json"]
    assert "not text" in side.warnings[0] and "larger than 1 MB" in side.warnings[1]
    (tmp_path / "bus.txt").unlink()
    (tmp_path / "bus.json").write_text("[" * 100_000)
    assert "nested too deeply" in read_sidecars(clip).warnings[0]


def test_timing_subtitles_are_read_with_the_limit():
    from wam.voice.align import srt_spans

    with pytest.raises(InputError, match="--timing /dev/zero is not text"):
        srt_spans("/dev/zero", ["One."])


# ------------------------------------------------------------ the commands (no index needed)


def test_endless_and_binary_inputs_are_one_line_and_exit_1(wam_home, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    out = tmp_path / "out.mp4"
    cases = [
        (["plan", "/dev/zero"], "the story /dev/zero is not text"),
        (["render", "/dev/zero", "-o", out], "the story /dev/zero is not text"),
        (["render", "--plan", "/dev/zero", "-o", out], "the plan /dev/zero is not text"),
        (["plan", story, "--previous", "/dev/zero"], "the plan /dev/zero is not text"),
        (["export", "/dev/zero", "-o", tmp_path / "cut.otio"], "the story /dev/zero is not text"),
        (["storyboard", "/dev/zero", "-o", tmp_path / "board.html"], "the story /dev/zero is not text"),
        (["plan", "--manifest", "/dev/zero"], "the manifest /dev/zero is not text"),
    ]
    for args, message in cases:
        r = CliRunner().invoke(cli, [str(a) for a in args])
        assert r.exit_code == 1, (args, r.stderr)
        assert one_line(r.stderr) == f"wam: error: {message}: it holds NUL bytes (save it as UTF-8 text)", \
            args
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"All work and no play makes Jack a dull boy. " * (MAX_TEXT_BYTES // 44 + 1))
    r = CliRunner().invoke(cli, ["plan", str(huge)])
    assert r.exit_code == 1 and f"the story {huge} is larger than 8 MB" in one_line(r.stderr)
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["huge.txt", "story.txt"]


def test_an_endless_stdin_is_refused_at_the_limit(wam_home):
    for args in (["plan", "-"], ["plan", "-", "-o", "plans/"], ["plan", "--manifest", "-", "-o", "plans/"]):
        yes = subprocess.Popen(["yes", "A red bus drives down the street."], stdout=subprocess.PIPE)
        try:
            r = run(*args, env={"WAM_HOME": str(wam_home)}, stdin=yes.stdout, capture_output=True)
        finally:
            yes.kill()
            yes.wait()
            yes.stdout.close()
        assert r.returncode == 1, (args, r.stderr)
        assert "on standard input is larger than" in one_line(r.stderr)
        assert "(is it an endless stream?)" in r.stderr


def test_a_plan_given_as_a_story_says_to_use_plan(wam_home, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(tiny_plan(tmp_path / "clip.mp4")))
    r = CliRunner().invoke(cli, ["plan", str(plan)])
    assert r.exit_code == 2
    assert one_line(r.stderr) == (f"wam: error: {plan} is a wam plan, not a story; render it with `wam "
                                  f"render --plan {plan} -o OUT.mp4`, or keep its cuts while "
                                  f"re-planning its story with --previous {plan}")
    r = CliRunner().invoke(cli, ["render", str(plan), "-o", str(tmp_path / "out.mp4")])
    assert r.exit_code == 2
    assert one_line(r.stderr).endswith(f"is a wam plan, not a story; render a saved plan with --plan {plan}")
    assert not (tmp_path / "out.mp4").exists()
    r = CliRunner().invoke(cli, ["plan", "-"], input=plan.read_text())  # no file to name: save it first
    assert r.exit_code == 2
    assert one_line(r.stderr) == ("wam: error: standard input holds a wam plan, not a story; save it as "
                                  "PLAN.json, then render it with `wam render --plan PLAN.json -o OUT.mp4`, "
                                  "or keep its cuts while re-planning its story with --previous PLAN.json")


def test_an_emoji_story_is_told_it_has_no_words(wam_home, tmp_path):
    story = tmp_path / "emoji.txt"
    story.write_text("😀 🎉 🚀\n\n🌊 🏖️\n")
    r = CliRunner().invoke(cli, ["plan", str(story)])
    assert r.exit_code == 1
    assert "has no words to match footage to (only symbols or emoji)" in one_line(r.stderr)


def test_json_nested_too_deeply_is_one_line(wam_home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "story.txt").write_text(STORY)
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000)
    for args in (["render", "--plan", str(nested), "-o", str(tmp_path / "o.mp4")],
                 ["export", str(nested), "-o", str(tmp_path / "o.otio")],
                 ["plan", "story.txt", "--previous", str(nested)]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 1, (args, r.stderr)
        assert one_line(r.stderr) == (f"wam: error: cannot read the plan {nested} "
                                      "(the JSON is nested too deeply)")
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text('{"text": "A bus.", "output": "a.json", "pace": ' + "[" * 100_000 + "\n")
    r = CliRunner().invoke(cli, ["plan", "--manifest", str(manifest)])
    assert r.exit_code == 2 and "line 1: not valid JSON (the JSON is nested too deeply)" in one_line(r.stderr)


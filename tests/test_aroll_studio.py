"""``wam studio --a-roll TALK`` (issue 23): the studio edits B-roll over the speaker's own video.
Through Starlette's TestClient on the studio's small index, with a talk generated here
(espeak-ng reading the story over a magenta card): the page's plan is the talk's length with
the speaker's cuts marked, the speaker's thumbnails and video are served by the shot id
``a-roll``, a voice and pins are refused with a message, a speaker's cut can be swapped for
footage, a script that is not what is said keeps the plan on the speaker, and the saved plan
keeps the talk — ``wam plan STORY`` and a new studio session follow it."""

import json
import shutil

import pytest

from studio_lib import STORY, run_wam, state, studio_library
from test_aroll_render import make_talk, seconds_of
from wam.core.timeline import read_plan, timeline_problems

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")]

PORT = 8642
TOKEN = "test-token-0123456789"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from starlette.testclient import TestClient

    from wam.studio.app import studio_app
    from wam.studio.server import Studio

    made = studio_library(tmp_path_factory.mktemp("studio"))
    talk = make_talk(made["work"] / "talk.mp4", STORY.replace("\n", " "))
    mp = pytest.MonkeyPatch()
    mp.setenv("WAM_HOME", str(made["home"]))
    s = Studio(made["story"], home=made["home"], talk={"a_roll": str(talk)})
    client = TestClient(studio_app(s, TOKEN, PORT), base_url=f"http://127.0.0.1:{PORT}",
                        headers={"X-Wam-Token": TOKEN})
    yield dict(made, studio=s, client=client, talk=talk)
    client.close()
    s.close()
    mp.undo()


def kinds(st) -> list[list[bool]]:
    return [[c["a_roll"] for c in s["cuts"]] for s in st["plan"]["sentences"]]


def test_the_page_shows_the_plan_over_the_talk(studio):
    st = state(studio)
    client = studio["client"]
    assert st["error"] is None, st["error"]
    assert st["settings"]["a_roll"] == "talk.mp4" and st["settings"]["voice"] is None
    assert st["plan"]["a_roll"] == {"name": "talk.mp4", "mode": "cut"}
    assert abs(st["plan"]["duration"] - seconds_of(studio["talk"])) <= 0.1
    flat = [k for ks in kinds(st) for k in ks]
    assert flat[0] and flat[-1] and not all(flat), kinds(st)  # on the speaker at both ends, footage between
    speaker = next(c for s in st["plan"]["sentences"] for c in s["cuts"] if c["a_roll"])
    assert speaker["shot_id"] == "a-roll" and speaker["name"] == "talk.mp4"
    thumb = client.get(speaker["thumb"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content[:2] == b"\xff\xd8"
    video = client.get("/media/clip/a-roll", headers={"Range": "bytes=0-9"})
    assert video.status_code == 206 and len(video.content) == 10
    assert client.get("/media/sentence/0.mp4").status_code == 200  # a sentence's preview, with the talk in it


def test_voice_and_pins_are_refused_and_the_speaker_can_be_swapped(studio):
    client = studio["client"]
    st = state(studio)
    voice = client.post("/api/settings", json={"voice": st["choices"]["voice"][0]})
    assert voice.status_code == 400 and "talk" in voice.json()["error"]
    pin = client.post("/api/pin", json={"sentence": 0, "cut": 0, "pinned": True})
    assert pin.status_code == 400 and "pinned" in pin.json()["error"]
    first = st["plan"]["sentences"][0]
    assert first["cuts"][0]["a_roll"] and first["alternatives"], first
    alt = first["alternatives"][0]["shot_id"]
    swapped = client.post("/api/swap", json={"sentence": 0, "cut": 0, "shot_id": alt}).json()
    cut = swapped["plan"]["sentences"][0]["cuts"][0]
    assert cut["shot_id"] == alt and not cut["a_roll"]
    assert kinds(swapped)[1:] == kinds(st)[1:]  # the rest is as it was
    assert timeline_problems(studio["studio"].session.snapshot()) == []


def test_a_script_that_is_not_said_stays_on_the_speaker_and_editing_back_brings_the_footage(studio):
    client = studio["client"]
    wrong = ("The committee met on Tuesday to discuss the budget. Nobody agreed on anything at all. "
             "The chairman left early because of a headache.\n\nHis deputy took notes for an hour.\n")
    out = client.post("/api/text", json={"text": wrong}).json()
    assert out["error"] is None
    assert all(k for ks in kinds(out) for k in ks)
    assert any("stays on the speaker" in w for w in out["plan"]["warnings"])
    back = client.post("/api/text", json={"text": STORY}).json()
    assert not all(k for ks in kinds(back) for k in ks)


def test_the_saved_plan_keeps_the_talk_and_the_cli_and_studio_follow_it(studio):
    from wam.studio.server import Studio

    client, work, home = studio["client"], studio["work"], studio["home"]
    saved = client.post("/api/save").json()
    assert saved["state"]["saved"] is True
    plan = read_plan(work / "story.wam.json")
    assert plan.a_roll["file"] == str(studio["talk"]) and any(c.a_roll for c in plan.cuts())
    out = run_wam("plan", work / "story.txt", "--json", home=home)
    doc = json.loads(out.stdout)
    assert "studio's plan" in out.stderr and doc["a_roll"]["file"] == str(studio["talk"])
    assert any(c.get("a_roll") for s in doc["sentences"] for c in s["cuts"])
    again = Studio(work / "story.txt", home=home)
    try:
        st = again.session.run(again.state).result()
        assert st["settings"]["a_roll"] == "talk.mp4" and st["plan"]["a_roll"]["name"] == "talk.mp4"
    finally:
        again.close()

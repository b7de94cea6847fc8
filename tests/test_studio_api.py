"""``wam studio``'s application through Starlette's TestClient, on a small real index: the
access token (and the Host / Origin checks) guard every route, media are served by shot id
only (no traversal, no symlink out of a library; video by byte ranges), and the JSON API edits
the plan — an edit re-plans stably, a swap and a pin change one cut, a ban re-plans without
the footage, saving writes the story and its plan, which ``wam render STORY`` then follows."""

import json
import os
from pathlib import Path

import pytest

from studio_lib import STORY, run_wam, state, studio_library
from wam.core.timeline import read_plan

pytestmark = pytest.mark.slow

PORT = 8642
TOKEN = "test-token-0123456789"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from starlette.testclient import TestClient

    from wam.studio.app import studio_app
    from wam.studio.server import Studio

    made = studio_library(tmp_path_factory.mktemp("studio"))
    mp = pytest.MonkeyPatch()
    mp.setenv("WAM_HOME", str(made["home"]))
    s = Studio(made["story"], home=made["home"])
    app = studio_app(s, TOKEN, PORT)
    client = TestClient(app, base_url=f"http://127.0.0.1:{PORT}", headers={"X-Wam-Token": TOKEN})
    bare = TestClient(app, base_url=f"http://127.0.0.1:{PORT}")
    yield dict(made, studio=s, client=client, bare=bare, app=app)
    client.close()
    bare.close()
    s.close()
    mp.undo()


def signatures(st) -> list[str]:
    return [s["signature"] for s in st["plan"]["sentences"]]


def test_every_route_needs_the_token(studio):
    bare = studio["bare"]
    first = state(studio)["plan"]["sentences"][0]["cuts"][0]
    for path in ("/", "/api/state", "/static/studio.js", f"/media/thumb/{first['shot_id']}?t=1&w=320",
                 f"/media/clip/{first['shot_id']}", "/media/sentence/0.mp4", "/api/render", "/favicon.ico"):
        assert bare.get(path).status_code == 403, path
        assert bare.get(path, headers={"X-Wam-Token": "wrong"}).status_code == 403, path
        assert bare.get(path, cookies={f"wam_studio_{PORT}": "wrong"}).status_code == 403, path
    assert bare.post("/api/text", json={"text": "Hi."}).status_code == 403
    # the address wam prints: the token moves into a strict cookie, and the cookie opens the page
    r = bare.get(f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert f"wam_studio_{PORT}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = bare.get("/", cookies={f"wam_studio_{PORT}": TOKEN})
    assert page.status_code == 200 and "studio.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # another host name (DNS rebinding) or another site's form is refused even with the token
    assert studio["client"].get("/api/state", headers={"Host": f"evil.example:{PORT}"}).status_code == 403
    assert studio["client"].post("/api/save", headers={"Origin": "http://evil.example"}).status_code == 403


def test_the_page_needs_nothing_from_the_network(studio):
    client = studio["client"]
    page = client.get("/").text
    for asset in ("/static/studio.js", "/static/studio.css"):
        assert asset in page and client.get(asset).status_code == 200
    text = page + client.get("/static/studio.js").text + client.get("/static/studio.css").text
    assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_media_are_served_by_shot_id_only(studio, tmp_path):
    client, files = studio["client"], studio["studio"].session.files
    st = state(studio)
    shot = st["plan"]["sentences"][0]["cuts"][0]["shot_id"]
    clip = client.get(f"/media/clip/{shot}", headers={"Range": "bytes=0-99"})
    assert clip.status_code == 206 and len(clip.content) == 100
    assert clip.headers["content-type"] == "video/mp4"
    thumb = client.get(st["plan"]["sentences"][0]["cuts"][0]["thumb"])
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    for path in ("/media/clip/..%2F..%2F..%2Fetc%2Fpasswd", "/media/clip/%2Fetc%2Fpasswd",
                 "/media/clip/../../etc/passwd", f"/media/clip/{secret}", "/media/clip/..",
                 "/static/../app.py", "/static/..%2Fapp.py",
                 "/static/%2e%2e/session.py", f"/media/thumb/{shot}%2F..%2F..?t=0&w=320",
                 f"/media/thumb/{shot}?t=0&w=4000", "/media/sentence/-1.mp4", "/media/sentence/99.mp4",
                 "/media/sentence/..%2F..%2Fstory.txt"):
        r = client.get(path)
        assert r.status_code in (400, 404), (path, r.status_code)
        assert b"not for the browser" not in r.content and b"root:" not in r.content
        assert b"def studio_app" not in r.content
    # a symlink inside a library that leads out of it is not served, even when indexed
    real = studio["lib"] / "street" / "red_bus.mp4"
    sid = next(k for k, v in files.shots.items() if v.source == str(real))
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(real.read_bytes())
    link = tmp_path / "link.mp4"
    link.symlink_to(outside)
    files.shots["linked-out"] = type(files.shots[sid])(str(link), 0.0, 1.0)
    try:
        assert files.file_of("linked-out") is None
        assert client.get("/media/clip/linked-out").status_code == 404
    finally:
        del files.shots["linked-out"]
    assert files.file_of(sid) == real.resolve()


def test_edits_swaps_pins_and_bans(studio):
    client = studio["client"]
    before = state(studio)
    assert before["error"] is None and len(before["plan"]["sentences"]) == 4
    assert before["saved"] is True  # the plan beside the story is what the studio shows
    # a reworded last sentence: the first two keep their cuts
    text = STORY.replace("The sandy beach glows orange at sunset.", "Small boats rest in the quiet harbour.")
    after = client.post("/api/text", json={"text": text}).json()
    assert signatures(after)[:2] == signatures(before)[:2] and signatures(after)[3] != signatures(before)[3]
    assert after["saved"] is False
    # swap the first cut of sentence 2 for its next best shot
    s = after["plan"]["sentences"][1]
    alt = s["alternatives"][0]["shot_id"]
    swapped = client.post("/api/swap", json={"sentence": 1, "cut": 0, "shot_id": alt}).json()
    cut = swapped["plan"]["sentences"][1]["cuts"][0]
    assert cut["shot_id"] == alt and abs(cut["score"] - s["alternatives"][0]["score"]) < 0.001
    assert signatures(swapped)[:1] + signatures(swapped)[2:] == signatures(after)[:1] + signatures(after)[2:]
    assert alt not in {a["shot_id"] for a in swapped["plan"]["sentences"][1]["alternatives"]}
    # pin it; an edit elsewhere keeps it
    pinned = client.post("/api/pin", json={"sentence": 1, "cut": 0, "pinned": True}).json()
    assert pinned["plan"]["sentences"][1]["cuts"][0]["pinned"] is True
    text2 = text.replace("A red bus drives down a busy city street.",
                         "A red bus waits in a busy city street.")
    again = client.post("/api/text", json={"text": text2}).json()
    assert again["plan"]["sentences"][1]["cuts"][0]["shot_id"] == alt
    assert again["plan"]["sentences"][1]["cuts"][0]["pinned"] is True
    # ban the shot of sentence 3: it is planned again without it, and the ban is listed
    banned = again["plan"]["sentences"][2]["cuts"][0]["shot_id"]
    out = client.post("/api/ban", json={"shot_id": banned}).json()
    assert out["plan"]["bans"]["shots"] == [banned]
    assert banned not in {c["shot_id"] for s in out["plan"]["sentences"] for c in s["cuts"]}
    assert banned not in {a["shot_id"] for s in out["plan"]["sentences"] for a in s["alternatives"]}
    assert client.post("/api/swap", json={"sentence": 2, "cut": 0, "shot_id": banned}).status_code == 400
    # bad requests are one-line errors, never a traceback
    for path, body in (("/api/swap", {"sentence": 9, "cut": 0, "shot_id": alt}),
                       ("/api/swap", {"sentence": "x"}),
                       ("/api/pin", {"sentence": 0, "cut": 7, "pinned": True}),
                       ("/api/settings", {"pace": "warp"}), ("/api/ban", {"shot_id": "../../etc"}),
                       ("/api/export", {"format": "exe"})):
        r = client.post(path, json=body)
        assert r.status_code == 400 and "error" in r.json() and "Traceback" not in r.text, (path, r.text)
    bad = client.post("/api/text", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400


def test_saving_writes_story_and_plan_and_the_cli_follows_them(studio):
    client, work, home = studio["client"], studio["work"], studio["home"]
    st = state(studio)
    saved = client.post("/api/save").json()
    assert saved["state"]["saved"] is True and len(saved["written"]) == 2
    assert (work / "story.txt").read_text().strip() == st["story"]["text"].strip()
    plan = read_plan(work / "story.wam.json")
    shown = [[c["shot_id"] for c in s["cuts"]] for s in st["plan"]["sentences"]]
    assert [[c.shot_id for c in s.cuts] for s in plan.sentences] == shown
    assert plan.pinned_cuts() == [(1, 0)] and plan.bans.shots == tuple(st["plan"]["bans"]["shots"])
    assert (plan.width, plan.height) == (320, 180)
    # the CLI re-plans against it: the same cuts, the pin and the ban, at the studio's size
    out = run_wam("plan", work / "story.txt", "--json", home=home)
    doc = json.loads(out.stdout)
    assert [[c["shot_id"] for c in s["cuts"]] for s in doc["sentences"]] == shown
    assert doc["bans"]["shots"] == list(plan.bans.shots) and (doc["width"], doc["height"]) == (320, 180)
    assert doc["sentences"][1]["cuts"][0]["pinned"] is True
    assert "studio's plan" in out.stderr
    fresh = json.loads(run_wam("plan", work / "story.txt", "--json", "--fresh", home=home).stdout)
    assert (fresh["width"], fresh["height"]) == (1280, 720) and "bans" not in fresh
    # a studio story inside a library is refused, never written there
    refused = run_wam("plan", work / "story.txt", "-o", work / "story.wam.json", home=home, check=False)
    assert refused.returncode == 2 and "input" in refused.stderr


def test_render_and_exports_write_beside_the_story(studio):
    import time

    client, work = studio["client"], studio["work"]
    r = client.post("/api/render")
    assert r.status_code == 200 and r.json()["state"] in ("running", "done")
    deadline = time.monotonic() + 600  # a liveness guard, not a speed requirement
    while client.get("/api/render").json()["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    done = client.get("/api/render").json()
    assert done["state"] == "done", done
    assert done["output"] == str(work / "story.mp4") and (work / "story.mp4").stat().st_size > 1000
    assert done["done"] == done["total"] and done["segments"] == 4
    video = client.get("/media/render.mp4", headers={"Range": "bytes=0-9"})
    assert video.status_code == 206 and len(video.content) == 10
    files = sorted(os.listdir(work))
    for fmt in ("otio", "edl", "xml", "fcpxml"):
        res = client.post("/api/export", json={"format": fmt})
        assert res.status_code == 200, res.text
        assert Path(res.json()["files"][0]) == work / f"story.{fmt}"
        assert (work / f"story.{fmt}").stat().st_size > 100
    assert (work / "story.srt").read_text().count("-->") == 4
    assert set(os.listdir(work)) - set(files) <= {"story.otio", "story.edl", "story.xml", "story.fcpxml",
                                                  "story.srt"}


def test_settings_re_plan_and_the_pins_hold(studio):
    client = studio["client"]
    st = state(studio)
    pinned = [(i, k) for i, s in enumerate(st["plan"]["sentences"])
              for k, c in enumerate(s["cuts"]) if c["pinned"]]
    assert pinned == [(1, 0)]
    shot = st["plan"]["sentences"][1]["cuts"][0]["shot_id"]
    fast = client.post("/api/settings", json={"pace": "fast"}).json()
    assert fast["settings"]["pace"] == "fast" and fast["plan"]["pace"] == "fast"
    # held exactly
    assert fast["plan"]["sentences"][1]["signature"] == st["plan"]["sentences"][1]["signature"]
    tall = client.post("/api/settings", json={"aspect": "9:16"}).json()
    assert tall["settings"]["size"] == [180, 320] and tall["settings"]["aspect"] == "9:16"
    assert (tall["plan"]["width"], tall["plan"]["height"]) == (180, 320)
    assert tall["plan"]["sentences"][1]["cuts"][0]["shot_id"] == shot
    # narrated, every sentence lasts as long as it is spoken: the pinned shot keeps its pin
    voiced = client.post("/api/settings", json={"voice": st["choices"]["voice"][0]}).json()
    assert voiced["error"] is None and voiced["settings"]["voice"] == st["choices"]["voice"][0]
    assert voiced["plan"]["duration"] != tall["plan"]["duration"]
    assert [c["shot_id"] for c in voiced["plan"]["sentences"][1]["cuts"] if c["pinned"]] == [shot]
    back = client.post("/api/settings", json={"voice": "", "pace": "normal", "aspect": "16:9"}).json()
    assert back["settings"]["voice"] is None and back["settings"]["size"] == [320, 180]
    assert [c["shot_id"] for c in back["plan"]["sentences"][1]["cuts"] if c["pinned"]] == [shot]
    assert client.post("/api/settings", json={"music": 3}).status_code == 400  # only the offered files

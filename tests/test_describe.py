import json

from wam.library.describe import ShotDescription, human_text, name_words, path_words, read_sidecars
from wam.text.keywords import fold_word


def test_name_words_split_cases_and_drop_ids():
    assert name_words("pexels-12345_NightCity-4K.mp4") == ["night", "city"]
    assert name_words("IMG_0042") == []
    assert name_words("DSC01234 sunset_over-the_SEA") == ["sunset", "over", "the", "sea"]
    assert name_words("HTTPServerLogs") == ["http", "server", "logs"]
    assert name_words("deadbeefcafe1234") == []
    assert name_words("café au lait") == ["café", "au", "lait"]


def test_path_words_use_folders_below_root(tmp_path):
    root = tmp_path / "clips"
    f = root / "Travel" / "beach_day" / "GOPR0042_surfer-waves.MP4"
    assert path_words(f, root) == ["travel", "beach", "day", "surfer", "waves"]


def test_sidecars_txt_and_json(tmp_path):
    v = tmp_path / "a.mp4"
    v.write_bytes(b"x")
    (tmp_path / "a.txt").write_text("A  dog\nruns on the beach.", encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({"description": "Golden retriever", "tags": ["dog", "sea"]}))
    s = read_sidecars(v)
    assert s.description == "Golden retriever A dog runs on the beach."
    assert s.tags == ("dog", "sea")
    assert s.warnings == ()
    assert human_text(s) == "Golden retriever A dog runs on the beach. dog, sea"
    sig = s.signature
    (tmp_path / "a.txt").write_text("A cat.", encoding="utf-8")
    assert read_sidecars(v).signature != sig


def test_no_sidecar(tmp_path):
    v = tmp_path / "b.mp4"
    s = read_sidecars(v)
    assert (s.description, s.tags, s.warnings, s.signature) == ("", (), (), "none")


def test_broken_sidecars_warn_and_never_raise(tmp_path):
    v = tmp_path / "c.mp4"
    (tmp_path / "c.json").write_text('{"description": "x", ', encoding="utf-8")
    (tmp_path / "c.txt").write_bytes(b"caf\xe9 at night")
    s = read_sidecars(v)
    assert any("invalid JSON" in w for w in s.warnings)
    assert any("UTF-8" in w for w in s.warnings)
    assert "caf" in s.description and "night" in s.description
    (tmp_path / "c.json").write_text('["not", "an", "object"]')
    assert any("expected an object" in w for w in read_sidecars(v).warnings)
    (tmp_path / "c.json").write_text('{"description": 5, "tags": "solo"}')
    s = read_sidecars(v)
    assert s.tags == ("solo",) and any("not a string" in w for w in s.warnings)


def test_description_keeps_parts_apart():
    d = ShotDescription(human="A red bus", names=("london", "street"), labels=(("trolleybus", 0.6),))
    assert d.text() == "A red bus. london street. trolleybus."
    assert d.human_words() == {"red", "bus"}
    assert d.machine_words() == {"london", "street", fold_word("trolleybus")}
    assert ShotDescription().text() == ""

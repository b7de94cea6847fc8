"""``wam plan``: story file + index → timeline. Glue between the story reader, the store,
the text encoder (with its sentence cache; and the vision model's text tower when the index
has image vectors), candidate scoring and the assembler."""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from wam.core.config import wam_home
from wam.core.errors import ModelMismatchError, NothingIndexedError
from wam.core.settings import PlanSettings

#: Stories of at least this many sentences show a progress bar while their cuts are planned.
PROGRESS_SENTENCES = 200

if TYPE_CHECKING:  # heavy modules are imported where they are used
    from wam.core.story import Sentence
    from wam.core.timeline import Bans, Timeline
    from wam.core.types import ShotTable
    from wam.library.store import Store
    from wam.text.embed import Encoder
    from wam.text.keywords import WordIndex


def plan_story(
    sentences: list[Sentence],
    settings: PlanSettings | None = None,
    *,
    home: Path | None = None,
    progress: bool = False,
    model_process: bool = False,
    previous: Timeline | None = None,
    note=None,
    store: Store | None = None,
    encoder: Encoder | None = None,
    vision_encoder: Encoder | None = None,
    bans: Bans | None = None,
    static_encoder: Encoder | None = None,
) -> Timeline:
    """The timeline for already-read ``sentences`` planned with ``settings`` (default:
    ``PlanSettings()``, every option at its default) from the shots of its libraries
    (progress on stderr for long stories when ``progress``; the text model in a child process
    that ends after embedding when ``model_process``). A batch passes the ``store`` it keeps
    open and the ``encoder`` (and ``vision_encoder``) it shares between stories (none is
    closed here). Sentence vectors come from the text model or, under the settings'
    ``sentence_vectors`` rule (``wam.text.static.uses_static``: by the story's number of
    sentences), from its static token vectors (a batch's shared ``static_encoder``, if given);
    ``note`` hears it in one line.

    With ``previous`` (the plan this story had before an edit, made with the same fps, pace
    and model) the cut changes only where the edit makes it: unchanged sentences keep their
    cuts (``assemble/stable.py``). Narrated (the settings' ``voice``: a Piper voice, "default"
    for the shipped one; ``narration``: the user's recording; ``timing``: a SubRip file of
    sentence spans), sentences last as long as they are spoken and the plan records the
    narration; ``note`` hears what was synthesised. With ``music`` (a sound file) cuts fall on
    its beats and, unnarrated, so do the sentence boundaries (``assemble/beats.py``); the plan
    records the music and its beats. With ``a_roll`` (the speaker's own video) the talk is the
    base of the cut and the narration: library footage covers it where it matches well
    (``assemble/aroll.py``; ``a_roll_mode``: how the speaker shows meanwhile, ``a_roll_every``:
    seconds of footage in a row at most); such a plan is always made afresh.

    ``bans`` (default: the previous plan's) are shots and clips the story must not show; the
    plan records them. A pinned cut of ``previous`` is kept while its sentence's text and
    length are unchanged, even when other settings changed (``assemble/stable.py``)."""
    from wam.assemble.plan import assemble
    from wam.assemble.stable import compatible
    from wam.assemble.styles import pace as pace_preset
    from wam.library.store import Store
    from wam.text.candidates import candidate_sets, has_image_vectors
    from wam.text.embed import model_id
    from wam.text.keywords import query_words
    from wam.text.textcache import cached_encode

    settings = settings if settings is not None else PlanSettings()
    s = settings
    libraries, pace, fps, width, height, k, seed = (list(s.libraries) or None, s.pace, s.fps, s.width,
                                                    s.height, s.k, s.seed)
    model, explain, voice, narration, timing, music, a_roll = (s.model, s.explain, s.voice, s.narration,
                                                               s.timing, s.music, s.a_roll)
    home = Path(store.home) if store is not None else Path(home) if home else wam_home()
    draft = None
    voice_warnings: list[str] = []
    if bans is None:
        bans = previous.bans if previous is not None else None
    with (nullcontext(store) if store is not None else Store.open(home, create=False)) as store:
        table = store.shot_table(store.library_ids(libraries))
        index_model = store.model
        vision = store.vision if has_image_vectors(table) else None
        if len(table) == 0 or not index_model:
            raise NothingIndexedError("nothing indexed yet; run `wam index DIR` first")
        if bans:
            table = without_banned(table, bans)
        if model and model_id(model) != index_model:
            raise ModelMismatchError(
                f"the index was embedded with {index_model!r}, not {model_id(model)!r}; "
                f"run `wam index DIR --model {model}` to re-embed it, or drop --model"
            )
        talk, matched = None, False
        if a_roll:
            from wam.voice.talk import talk_narration

            talk = _talk_of(a_roll, voice, narration, explain, voice_warnings.append)
            sentences, draft, matched = talk_narration(sentences, talk, timing=timing, home=home, fps=fps,
                                                       warn=voice_warnings.append,
                                                       note=note or (lambda m: None))
        elif voice is not None or narration or timing:
            from wam.voice.narrate import narrate

            sentences, draft = narrate(sentences, voice=voice, recording=narration, timing=timing, home=home,
                                       warn=voice_warnings.append, note=note or (lambda m: None),
                                       progress=progress)
        music_doc, beats = (None, None) if not music else music_beats(music, home, voice_warnings.append)
        if beats is not None:
            from wam.assemble.beat_cuts import looped_beats, on_beats

            beats = looped_beats(beats, music_doc["duration"], 1.5 * sum(s.duration for s in sentences) + 10)
            if draft is None:  # unnarrated: the sentences end on beats (narrated, the voice keeps its time)
                sentences = on_beats(sentences, beats)
        reuse = None
        pins = previous is not None and bool(previous.pinned_cuts())
        if talk is not None or (previous is not None and previous.a_roll is not None):
            if pins:
                voice_warnings.append("a plan over a talk is made afresh: the pins of the previous plan are "
                                      "not kept")
        elif previous is not None and not explain:
            from wam.assemble.replan import reuse_for

            same = compatible(previous, fps=fps, pace=pace, model=index_model, music=music_doc)
            if same or pins:  # other settings: only the pinned sentences are kept
                reuse = reuse_for(sentences, previous, table, fps=fps, pinned_only=not same)
        elif pins:
            voice_warnings.append("--explain plans the story afresh: the pins of the previous plan are not "
                                  "kept")
        todo = list(range(len(sentences))) if reuse is None else reuse.planned()
        texts = [sentences[j].text for j in todo]
        words = store.word_index(query_words(texts), table)
    cache_warnings: list[str] = []
    image_queries = None
    if texts:
        cache = sentence_cache(home)
        static = static_vectors(settings.sentence_vectors, len(sentences), index_model)
        if static and note is not None:
            from wam.text.static import static_note

            note(static_note(len(sentences)))
        own_process = (static_encoder if static else encoder) is None and model_process
        encoder = sentence_encoder(index_model, table.embeddings.shape[1], static=static, cache=cache,
                                   model_process=model_process, encoder=encoder,
                                   static_encoder=static_encoder)
        try:
            vecs, _ = cached_encode(encoder, texts, cache, progress=progress, warn=cache_warnings.append)
        finally:
            if own_process:
                encoder.close()
        if vision is not None:
            image_queries = _image_queries(texts, vision, table.image.shape[1], vision_encoder,
                                           model_process, cache, progress, cache_warnings.append)
    preset = pace_preset(pace)
    min_lengths = [min(sentences[j].duration, preset.max_cut) for j in todo]
    candidates = (candidate_sets(vecs, texts, table, words, k=k, min_lengths=min_lengths,
                                 image_queries=image_queries)
                  if texts else [])
    # only the candidates' files are checked (cheap); if any vanished since indexing, plan
    # again without every missing clip
    offered = {table.sources[int(r)] for c in candidates for r in c.rows}
    gone: list[str] = []
    if any(not os.path.isfile(src) for src in offered):
        table, words, gone = _without_missing_sources(table, words)
        if len(table) == 0:
            raise NothingIndexedError("every indexed clip has disappeared from disk; run `wam index DIR` "
                                      "again")
        candidates = candidate_sets(vecs, texts, table, words, k=k, min_lengths=min_lengths,
                                    image_queries=image_queries)
        if reuse is not None:  # the table's rows changed; kept sentences show only clips still on disk
            from wam.assemble.replan import reuse_for

            reuse = reuse_for(sentences, previous, table, fps=fps, pinned_only=reuse.pinned_only)
            assert reuse.planned() == todo
    if talk is not None:
        timeline = _assemble_talk(sentences, table, candidates, talk, draft, matched, preset, fps=fps,
                                  width=width,
                                  height=height, seed=seed, model=index_model, mode=settings.a_roll_mode,
                                  every=settings.a_roll_every)
    elif reuse is None:
        from tqdm import tqdm

        from wam.assemble.diversity import rounds_for

        n = len(sentences)
        # the solves of the diversity loop, then the costs of each sentence's cuts
        with tqdm(total=(rounds_for([s.duration for s in sentences]) + 1) * n, unit="sentence",
                  desc="planning cuts",
                  leave=False, dynamic_ncols=True, disable=not progress or n < PROGRESS_SENTENCES) as bar:
            timeline = assemble(sentences, table, candidates, pace=preset, fps=fps, width=width,
                                height=height, k=k,
                                seed=seed, model=index_model, explain=explain, beats=beats,
                                tick=bar.update)
    else:
        from wam.assemble.replan import assemble_again

        timeline = assemble_again(sentences, table, dict(zip(todo, candidates)), reuse, pace=preset, fps=fps,
                                  width=width, height=height, model=index_model, seed=seed, beats=beats)
    timeline = timeline.with_warnings(cache_warnings + timeline.warnings)
    from dataclasses import replace

    if music_doc is not None:
        timeline = replace(timeline, music=music_doc)
    if bans:
        timeline = replace(timeline, bans=bans)
    if draft is not None:
        timeline = draft.attach(timeline)
    gone_warnings = [f"{len(gone)} indexed clip(s) no longer exist (e.g. {gone[0]}); planned without them — "
                     "run `wam index` to update the index"] if gone else []
    timeline = timeline.with_warnings(gone_warnings + voice_warnings + timeline.warnings)
    return timeline


def _talk_of(path: str, voice, narration, explain: bool, warn):
    """The talk at ``path`` (``wam.voice.talk.talk_info``), refusing another narration beside it."""
    from wam.core.errors import UsageError
    from wam.voice.talk import talk_info

    if voice is not None or narration:
        raise UsageError("--a-roll's sound is the narration: give --a-roll alone (with --timing FILE.srt "
                         "for exact "
                         "sentence times), not with --voice or --narration")
    if explain:
        warn("--explain does not explain plans over a talk yet; planned without explanations")
    return talk_info(path)


def _assemble_talk(sentences, table, candidates, talk, draft, matched: bool, preset, *, fps, width, height,
                   seed, model, mode: str, every: float) -> Timeline:
    """The plan over the speaker's talk (``assemble/aroll.py``), with the plan's ``a_roll`` object."""
    from dataclasses import replace

    from wam.assemble.aroll import ARollRules, assemble_a_roll
    from wam.library.scan import content_hash

    timeline = assemble_a_roll(sentences, table, candidates, talk=talk.path, talk_seconds=talk.duration,
                               cut_points=draft.cut_points(), matched=matched, pace=preset,
                               rules=ARollRules(every=every), fps=fps, width=width, height=height,
                               model=model, aspect=talk.width / talk.height, seed=seed)
    size = os.path.getsize(talk.path)
    doc = {"file": talk.path, "size": size, "fingerprint": content_hash(talk.path, size),
           "duration": round(talk.duration, 6), "width": talk.width, "height": talk.height, "fps": talk.fps,
           "audio": talk.has_audio, "mode": mode, "every": every}
    return replace(timeline, a_roll=doc)


def music_beats(path: str, home: Path, warn) -> tuple[dict, list[float] | None]:
    """The plan's ``music`` object for the sound file at ``path`` (its absolute path, SHA-256,
    size, length, tempo and beats in seconds from its start) and its beats (None when they
    cannot be found: ``warn`` says why, and the music is still recorded for the sound bed).
    Beats are kept in ``home/beats/<sha256>.json`` (finding them takes seconds)."""
    import hashlib
    import json

    from wam.core.errors import BeatTrackerMissing, MediaError, WamError
    from wam.core.fileio import write_atomic
    from wam.media.beats import detect_beats

    path = os.path.abspath(path)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        size = os.path.getsize(path)
    except OSError as exc:
        raise WamError(f"cannot read the music {path} ({exc.strerror or exc})") from None
    doc = {"file": path, "sha256": digest.hexdigest(), "size": size}
    kept = home / "beats" / f"{doc['sha256']}.json"
    try:
        found = json.loads(kept.read_text())
    except (OSError, ValueError):
        try:
            b = detect_beats(path)
        except BeatTrackerMissing as exc:
            warn(f"--music {path}: {exc}; the cut is not on its beats")
            return dict(doc, tempo=None, duration=None, beats=[]), None
        except MediaError as exc:
            raise WamError(f"cannot use the music file {path}: {exc}") from None
        found = {"tempo": b.tempo, "duration": b.duration, "beats": list(b.beats)}
        # kept for next time where the index folder is writable (a cache: failing to keep it is no error)
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(kept, json.dumps(found) + "\n")
        except (OSError, WamError):
            pass
    doc.update(tempo=found["tempo"], duration=found["duration"], beats=list(found["beats"]))
    if not doc["beats"]:
        warn(f"--music {path}: no beat found; the cut is not on the beat")
        return doc, None
    return doc, doc["beats"]


def _image_queries(texts: list[str], vision, dim: int, encoder, model_process: bool, cache, progress: bool,
                   warn):
    """The sentences in the vision model's space, cached by the model's identity (its text
    tower in a child process that ends after embedding when ``model_process``)."""
    from wam.text.embed import ModelProcess
    from wam.text.embed.vision import load_vision
    from wam.text.textcache import cached_encode

    own_process = encoder is None and model_process
    if encoder is None:
        encoder = ModelProcess(vision.name, dim,
                               vision=vision) if model_process else load_vision(vision).text_encoder()
    try:
        return cached_encode(encoder, texts, cache, progress=progress, warn=warn)[0]
    finally:
        if own_process:
            encoder.close()


def without_banned(table: ShotTable, bans: Bans) -> ShotTable:
    """``table`` without the shots ``bans`` names (and the shots of the clips it names)."""
    import numpy as np

    keep = np.nonzero([not bans.excludes(sid, src) for sid, src in zip(table.shot_ids, table.sources)])[0]
    if len(keep) == len(table):
        return table
    if len(keep) == 0:
        raise NothingIndexedError("every indexed shot is banned for this story; lift a ban")
    return table.subset(keep)


def _without_missing_sources(table: ShotTable, words: WordIndex) -> tuple[ShotTable, WordIndex, list[str]]:
    """Drop shots whose file disappeared since indexing (so a render never hits a missing file)."""
    import numpy as np

    gone = [s for s in sorted(set(table.sources)) if not os.path.isfile(s)]
    if not gone:
        return table, words, []
    missing = set(gone)
    rows = np.nonzero([s not in missing for s in table.sources])[0]
    return table.subset(rows), words.subset(rows), gone


def sentence_cache(home: Path) -> Path | None:
    """The folder of the sentence cache: the index folder, or None (no cache) where it is read-only."""
    return home if home.is_dir() and os.access(home, os.W_OK | os.X_OK) else None


def static_vectors(mode: str, sentences: int, model: str) -> bool:
    """Whether a story of ``sentences`` sentences gets static sentence vectors under
    ``--sentence-vectors mode`` with the index's text ``model`` (``auto`` keeps the full model
    for a model the static encoder cannot read; ``static`` says so when it loads)."""
    from wam.text.static import static_supported, uses_static

    return uses_static(mode, sentences) and (mode == "static" or static_supported(model))


def sentence_encoder(model: str, dim: int, *, static: bool, cache: Path | None, model_process: bool,
                     encoder: Encoder | None = None, static_encoder: Encoder | None = None) -> Encoder:
    """The encoder of a story's sentences: the text ``model`` or its static vectors (token vectors
    kept in the sentence cache of ``cache``), as given (``encoder`` / ``static_encoder``), in a
    child process (``model_process``: wam render never needs torch's ≈ 450 MB, the child takes it
    away when closed), or loaded in this process on first use."""
    from wam.text.embed import ModelProcess, load_encoder, model_id
    from wam.text.static import StaticProcess, load_static, static_name

    if static:
        if static_encoder is not None:
            return static_encoder
        if model_process:
            return StaticProcess(model, dim, cache)
        return _FirstUse(static_name(model_id(model)), dim, lambda name: load_static(model, cache))
    if encoder is not None:
        return encoder
    return ModelProcess(model, dim) if model_process else _FirstUse(model_id(model), dim, load_encoder)


class _FirstUse:
    """The text encoder, loaded only when a sentence is not in the sentence cache (a story
    planned again never imports torch)."""

    def __init__(self, name: str, dim: int, load):
        self.name, self.dim, self._load = name, dim, load

    def encode(self, texts: list[str]):
        return self._load(self.name).encode(texts)

"""The indexer's helpers around its worker processes and models (no media needed)."""

import logging
import multiprocessing as mp
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from wam.library.pool import new_pool


def test_an_interrupted_pool_stops_its_workers_at_once():
    pool = new_pool(2, mp.get_context("forkserver"))
    futures = [pool.submit(time.sleep, 60) for _ in range(2)]
    time.sleep(2)  # the workers have started and are busy
    started = time.monotonic()
    pool.stop_workers()
    pool.shutdown(wait=False, cancel_futures=True)
    for f in futures:
        with pytest.raises(BrokenProcessPool):
            f.result(timeout=30)
    assert time.monotonic() - started < 30


def test_a_failed_model_preload_is_logged(monkeypatch, caplog):
    def broken(name):
        raise RuntimeError("no such model")

    from wam.library import describer

    monkeypatch.setattr(describer, "load_encoder", broken)
    monkeypatch.setattr(describer.Describer, "tagger", property(lambda self: None))
    d = describer.Describer("missing-model")
    with caplog.at_level(logging.DEBUG, logger="wam"):
        d.preload()
        d._wait()
    assert any("model preload failed" in r.message and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cyclic_collector_pauses_while_the_models_load_and_comes_back_as_it_was(monkeypatch, enabled):
    import gc

    from wam.library import describer

    during = []
    monkeypatch.setattr(describer, "load_encoder", lambda name: during.append(gc.isenabled()))
    monkeypatch.setattr(describer.Describer, "tagger", property(lambda self: during.append(gc.isenabled())))
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        d = describer.Describer("a model")
        d.preload(threads=1)
        d._wait()
        assert during == [False, False]  # the tagger and the text model loaded with it paused
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()

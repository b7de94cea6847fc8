import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wam.assemble.solver import Graph, path_cost, solve
from wam.errors import StoryError
from wam.story import MIN_SENTENCE_SECONDS, PARAGRAPH_PAUSE, read_story, reading_seconds


def brute_force(graph: Graph):
    """Enumerate every path of a graph built as a chain of layers with alternative branches."""
    best = None
    starts = [g for g in range(len(graph.unary)) if not graph.incoming[g]]

    def extend(groups):
        g = groups[-1]
        if g in graph.ends:
            yield list(groups)
        for h in range(g + 1, len(graph.unary)):
            if any(src == g for src, _ in graph.incoming[h]):
                yield from extend(groups + [h])

    for s in starts:
        for groups in extend([s]):
            for choices in itertools.product(*[range(len(graph.unary[g])) for g in groups]):
                c = path_cost(graph, groups, list(choices))
                if best is None or c < best:
                    best = c
    return best


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(1, 3))
def test_solver_matches_brute_force(seed, layers, k):
    rng = np.random.default_rng(seed)
    g = Graph()
    prev = []
    for _layer in range(layers):
        branches = []
        for _b in range(rng.integers(1, 3)):  # alternative patterns per layer, 1–2 cuts each
            last = None
            for _cut in range(rng.integers(1, 3)):
                kk = int(rng.integers(1, k + 1))
                srcs = [last] if last is not None else prev
                incoming = [(s, rng.uniform(0, 2, (len(g.unary[s]), kk))) for s in srcs]
                last = g.add_group(rng.uniform(0, 2, kk), incoming)
            branches.append(last)
        prev = branches
    g.ends = prev
    path = solve(g)
    assert path.cost == pytest.approx(path_cost(g, path.groups, path.choices))
    assert path.cost == pytest.approx(brute_force(g))


def test_story_sentences_paragraphs_and_markdown():
    text = "# A day in town\n\nThe sun rises. Dr. Smith opens the café!\n- first **bold** point\n\n\n2. Numbered [link](http://x) item\n"
    s = read_story(text, markdown=True)
    assert [x.text for x in s] == ["A day in town", "The sun rises.", "Dr. Smith opens the café!", "first bold point",
                                   "Numbered link item"]
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


@pytest.mark.parametrize("text", ["", "   \n\n  ", "---\n***\n", "\ufeff"])
def test_empty_story_is_an_error(text):
    with pytest.raises(StoryError, match="empty"):
        read_story(text)


def test_strange_text_is_kept_verbatim():
    s = read_story('She said "100% {ok}" \\ and left: 🚀 — مرحبا.')
    assert s[0].text == 'She said "100% {ok}" \\ and left: 🚀 — مرحبا.'

"""The assembler (layer 4, pure): choose the cut (which shot, which part, how long) for every
sentence by dynamic programming over cinematographic costs.

From the bottom up: ``styles`` the pace presets; ``terms`` the cost terms (with ``lead``,
``sizes``, ``claims``, and ``termset`` the default set); ``segments`` the exact segment DP (a
semi-Markov Viterbi search) and ``pairs`` its transition table; ``problem`` the DP's problem
built from sentences and candidates, and one solve of it; ``costs`` the weighted terms of a
plan's cuts; footage diversity: ``diversity`` (the penalty loop; ``allocation`` its transport
LP), ``repair`` (the plan's rules enforced as constraints), ``spread`` (forced repeats moved
apart); ``report`` the DP's segments as the Timeline's cuts with their costs and flags;
``explain`` the runner-up of every sentence (``--explain``); ``plan`` the glue to a
``Timeline`` (``assemble``). Beside them: ``moves`` the moves over stills, ``beats`` cutting on
the music's beats and ``stable`` which sentences keep their cuts (these three import no other
module of the assembler), and above ``plan``: ``replan`` stable re-planning after an edit,
``speaker`` / ``aroll`` the talking head. Each module imports only those before it (or the three
beside), never back: no circle (tests/test_architecture.py).
"""

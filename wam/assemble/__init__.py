"""The assembler (layer 3, pure): choose the cut (which shot, which part, how long) for every
sentence by dynamic programming over cinematographic costs.

``terms`` the cost terms, ``styles`` the pace presets, ``segments`` the exact segment DP
(a semi-Markov Viterbi search), ``plan`` the glue from sentences and candidates to a
``Timeline``; ``report`` turns the DP's segments into cuts with their costs and flags,
``explain`` the runner-up of every sentence (``--explain``). Footage diversity: ``diversity``
(the penalty loop), ``allocation`` (its transport LP), ``repair`` (the plan's rules enforced
as constraints), ``spread`` (forced repeats moved apart). ``moves`` the moves over stills,
``beats`` cutting on the music's beats, ``stable`` / ``replan`` stable re-planning after an edit.
"""

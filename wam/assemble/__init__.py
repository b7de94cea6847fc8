"""The assembler: choose the cut (which shot, which part, how long) for every sentence by
dynamic programming over cinematographic costs. ``costs`` holds pure cost terms,
``styles`` the pace presets, ``solver`` the exact Viterbi search, ``plan`` the glue."""

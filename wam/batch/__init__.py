"""Batch runs: many stories in one ``wam render|plan|export`` call, sharing the index and the
text model, rendering N videos at a time (worker processes, or Ray tasks), reporting each
job as it finishes and skipping outputs that are already up to date.

``jobs`` (what to do) → ``run`` (the loop) with ``work`` (plan / export / render steps) and an
executor (``run`` for local renders, ``remote`` for Ray); each job plans and renders through
``wam.app``'s use cases, as a single run does. The click glue is ``wam.cli.batch``.
"""

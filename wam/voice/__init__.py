"""Narration: the voice that times the cut (layer 3, below the planner and the renderer).

* ``engines`` — speech engines: Piper neural voices (the shipped en_US-joe-medium, or any
  ``.onnx`` + ``.json`` voice) and espeak-ng for scripts the Piper voice cannot read; one
  sentence in, samples and word times out.
* ``words`` — word times from Piper's phoneme alignment, or estimated from letter counts.
* ``cache`` — synthesised sentences in ``$WAM_HOME/voice``, keyed by text, voice and settings.
* ``align`` — a user's recording: pauses found in its energy envelope, sentence boundaries
  assigned to them by a dynamic program over the sentences' relative lengths; or exact
  timings from a SubRip file.
* ``narrate`` — the story's sentences timed by their narration (through
  ``wam.core.story.sentence_duration``) and, once planned, the plan's ``narration`` object
  (``wam.core.narration.Narration``, part of the timeline's data model).
* ``track`` — the synthesised narration as one WAV file laid on the plan's sentence starts.
"""

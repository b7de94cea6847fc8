"""Rendering (layer 4): a timeline → a finished MP4, made by the ffmpeg binary of
imageio-ffmpeg, one segment per sentence (moviepy only wraps the same frames as a clip for
``wam.to_moviepy``).

``renderer`` (the render: segments, cache, join, the atomic write; ``FrameSource``, the
frame-by-frame path), ``segments`` (a segment per sentence, its key, encoding it),
``segment_graph`` (a segment as one ffmpeg filtergraph), ``cutreader`` (one cut's frames
decoded by ffmpeg), ``cache`` (the render cache), ``join`` (segments joined by stream copy),
``preview`` (one sentence as a playable MP4), ``layout`` (pure geometry and fades),
``cues`` (when each subtitle shows), ``captions`` (which subtitle image over which frame),
``subtitles`` (text → RGBA images; SubRip), ``audio`` and ``voicemix`` (the sound track:
silence, the clips' sound, music, the narration ducking the rest), ``moviepy_clip`` (the cut
as a moviepy clip), ``watch`` (``wam render --watch``). With ``media/``, the place that
reads video files.
"""

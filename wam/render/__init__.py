"""Rendering (layer 5): a timeline → a finished MP4, made by the ffmpeg binary of
imageio-ffmpeg, one segment per sentence, each normally one ffmpeg filtergraph (moviepy
renders nothing: it only wraps the frame-by-frame path's frames as a clip for
``wam.to_moviepy``).

``renderer`` (the render: segments, cache, join, the atomic write, what an interrupted render
leaves), ``options`` (``RenderOptions``: how to render, defaults from ``wam.core.config``),
``segments`` (a segment per sentence, its key, encoding it), ``segment_graph`` (a segment as
one ffmpeg filtergraph), ``frames`` (``FrameSource``: the frame-by-frame path, numpy on I420
planes), ``cutreader`` (one cut's frames decoded by ffmpeg), ``cache`` (the render cache),
``join`` (segments joined by stream copy), ``preview`` (one sentence as a playable MP4),
``layout`` (pure geometry and fades), ``pip`` (the speaker's box), ``cues`` (when each
subtitle shows), ``captions`` (which subtitle image over which frame), ``subtitles`` (text →
RGBA images; SubRip), ``audio`` and ``voicemix`` (the sound track: silence, the clips' sound,
music, the narration ducking the rest), ``moviepy_clip`` (the cut as a moviepy clip),
``watch`` (``wam render --watch``). With ``media/``, the place that reads video files.
"""

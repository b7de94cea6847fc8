"""Rendering: a timeline → a finished MP4 (moviepy + the ffmpeg binary of imageio-ffmpeg).

``layout`` (pure geometry and fades), ``subtitles`` (text → RGBA images, SRT),
``audio`` (silence / source audio / music bed), ``renderer`` (the frame loop and the
atomic write). The only place, with media/, that reads video files.
"""

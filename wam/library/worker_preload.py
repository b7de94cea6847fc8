"""What the index's worker processes need, imported once by their forkserver before it forks
any of them (``library/pool.py``): the analysis code, cv2 and PySceneDetect (without the back-ends
wam does not use, ``media/scenedetect_lib.py``), and moviepy's parser that the probe uses (without
IPython, ``media/moviepy_lib.py``). Importing this module does the work; nothing else imports it."""

from wam.library import analyse  # noqa: F401
from wam.media.moviepy_lib import preload_probe
from wam.media.scenedetect_lib import preload_decoder

preload_decoder()
preload_probe()

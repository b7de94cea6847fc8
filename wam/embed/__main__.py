"""``python -m wam.embed NAME`` (or ``--vision INFO-JSON``): the child process of
``wam.embed.ModelProcess``, embedding the texts its parent sends."""

import sys

from wam.embed import serve

serve(sys.argv[1:])

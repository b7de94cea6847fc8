"""``python -m wam.text.embed NAME`` (or ``--vision INFO-JSON``): the child process of
``wam.text.embed.ModelProcess``, embedding the texts its parent sends."""

import sys

from wam.text.embed import serve

serve(sys.argv[1:])

"""wam: turn a written story into an edited video cut from your own clip library.

The flow runs one way (see ARCHITECTURE.md in the repository): library (scan → shots →
features → descriptions → embeddings → store) → story → candidates → assembler →
timeline → renderer/exporters. This top-level module only carries the version, so that
``import wam`` and ``wam --help`` stay instant.
"""

__version__ = "0.1.0"

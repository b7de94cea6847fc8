"""``python -m wam``: the same entry point as the ``wam`` console script."""

from wam.cli import main

if __name__ == "__main__":
    main()

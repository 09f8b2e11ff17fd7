"""``python -m hearthside`` is the same as the ``hearthside`` command."""

from .cli import main

main()

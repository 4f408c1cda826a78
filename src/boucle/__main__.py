"""``python -m boucle``."""

from boucle.cli.main import main

main()

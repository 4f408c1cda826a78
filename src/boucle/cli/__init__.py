"""The ``boucle`` command line: thin typer commands over :mod:`boucle.api`."""

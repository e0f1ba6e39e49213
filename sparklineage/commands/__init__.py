"""What each command does, one module per command; ``cli.py`` only declares their options.

Each module has one ``run`` function taking the command's arguments and a
:class:`~sparklineage.settings.Settings`. They print (results on stdout, messages on stderr)
and raise :class:`~sparklineage.errors.SparkLineageError` or ``SystemExit`` with an
:class:`~sparklineage.errors.ExitCode`; ``cli.main`` turns both into an exit status.
"""

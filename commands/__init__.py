"""The commands of ``jianyi``, grouped by what they are for; ``cli.py`` adds them to its root group.

- :mod:`commands.app`: what every command shares (the App, ``--config``, output, common options, findings)
- :mod:`commands.lifecycle`: one command per action, ``assign-batch``, and the queries on cases
- :mod:`commands.directory`: set-up and checks (init, sessions, units, deputies, rules, calendar, templates,
  audit, diagram, demo)
- :mod:`commands.notices`: the outbox, ``remind``, the daemon and the forecast
- :mod:`commands.reports`: reports, evaluation, lookback, progress letters, the ledger's import and export

Each module lists its top-level commands in ``COMMANDS``. Nothing here imports ``cli``.
"""

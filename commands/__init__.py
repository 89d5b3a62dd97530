"""The commands of ``jianyi``, grouped by what they are for; ``cli.py`` adds them to its root group.

- :mod:`commands.app`: what every command shares (the App, ``--config``, output, common options, findings)
- :mod:`commands.lifecycle`: one command per action, ``assign-batch``, and the queries on cases
- :mod:`commands.directory`: set-up and checks (init, sessions, units, deputies, rules, calendar, templates,
  audit, diagram, demo)
- :mod:`commands.notices`: the outbox, ``remind``, the daemon and the forecast
- :mod:`commands.reports`: reports, evaluation, lookback, progress letters, the ledger's import and export
- :mod:`commands.documents`: documents in 公文 form (交办函, 答复函 form, 督办函, 征询意见表, progress letter)

Each module lists its top-level commands in ``COMMANDS``. Nothing here imports ``cli``.
"""

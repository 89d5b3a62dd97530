"""The pure domain: states and actions, the machine, views, errors, clock, audit hashing, the unit of work.

Nothing here touches a database; everything here imports only :mod:`rules` and the standard library.
"""

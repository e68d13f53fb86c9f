"""The ``hydrareg`` subcommands that look at an app's configs without running it.

``check`` (every job of a sweep, nothing built), ``explain`` (where a value came from), ``registry``
(the registry tree) and ``schema`` (a JSON Schema for editors). Each is imported only when used.
"""

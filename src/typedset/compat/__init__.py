"""Drop-in shims for code written against other libraries, built on typedset's classes.

* :mod:`typedset.compat.redset`: redset 0.5's API and module layout.
* :mod:`typedset.compat.good_redis`: good-redis's prioritized-stream ``ps*`` names.
"""

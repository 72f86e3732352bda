"""Benchmarks of the pipeline (`make bench`): figures, targets and baselines in docs/benchmarks.md.

Entry point: ``python -m benchmarks.run``. Every timed step runs in a fresh subprocess
(:mod:`benchmarks.step`) so its peak RSS is its own. Sections are listed in
:data:`benchmarks.sections.SECTIONS`: add a :class:`benchmarks.sections.Section` there to
benchmark a new step (e.g. the dbt build).
"""

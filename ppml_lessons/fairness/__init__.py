"""Fairness: measuring how a classifier treats groups of people (lesson 07), and mitigating bias (lesson 08).

- :mod:`.metrics`: a per-group report (:class:`~.metrics.GroupReport`) and the named
  fairness metrics as thin wrappers over it;
- :mod:`.counts`: the arithmetic under it (confusion counts, metrics from counts, aggregations);
- :mod:`.uncertainty`: seeded bootstrap and Wilson confidence intervals for per-group metrics;
- :mod:`.calibration`: reliability tables and expected calibration error by group;
- :mod:`.impossibility`: Chouldechova's identity linking base rate, PPV, FNR and FPR;
- :mod:`.plots`: the lesson's figures (per-group bars with intervals, reliability diagrams).

Import from the submodules, e.g. ``from ppml_lessons.fairness.metrics import GroupReport``.
"""

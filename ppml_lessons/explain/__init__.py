"""Explaining models (lesson 09): exact Shapley values, and thin helpers around shap and lime.

- :mod:`.shapley`: exact (interventional) Shapley values by enumerating every coalition, for up to
  :data:`~.shapley.MAX_EXACT_FEATURES` features, with the efficiency check;
- :mod:`.tabular`: the lesson's Adult inputs for tree models (ordinal codes) and its gradient-boosted model,
  summing one-hot attributions back to their columns, importance tables, timing;
- :mod:`.pair`: interventional and conditional Shapley values of two correlated features;
- :mod:`.lime_tools`: LIME's stability across seeds, sample sizes and kernel widths, and a CNN wrapper for
  LIME's images;
- :mod:`.gaming`: a scaffolded classifier that hides its use of a feature from perturbation-based explainers
  (Slack et al., 2020);
- :mod:`.plots`: the lesson's figures (pixel attributions over images, LIME stability).

Import from the submodules, e.g. ``from ppml_lessons.explain.shapley import exact_shapley_values``.
"""

"""Privacy attacks on trained models and released data.

- :mod:`.membership`: membership inference (lesson 05): per-example scores (loss, logit-scaled
  confidence), the loss-threshold attack, offline LiRA with shadow models, the metrics an attack is
  judged by (ROC curve, AUC, TPR at a low FPR) and the bound that (ε, δ)-DP puts on any attack;
- :mod:`.audit`: the one-run canary audit (Steinke, Nasr & Jagielski, 2023): guesses, counts, the
  ε lower bound they prove at a confidence level, and its ceiling (lesson 05);
- :mod:`.experiment`: lesson 05's setting (the split, the training recipes of targets and shadow
  models), shared by the notebook and ``benchmarks/membership_sweep.py``.

Import from the submodules, e.g. ``from ppml_lessons.attacks.membership import tpr_at_fpr``.
"""

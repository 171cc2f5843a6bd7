"""Differential privacy, written for teaching.

- :mod:`ppml_lessons.dp.mechanisms` (lesson 03): randomized response, the Laplace and Gaussian
  mechanisms (classic and analytic calibration), clipping for sums and means;
- :mod:`ppml_lessons.dp.budget` (lesson 03): advanced composition and a privacy filter (a budget that refuses queries);
- :mod:`ppml_lessons.dp.floating_point` (lesson 03): why floating-point noise leaks (Mironov, 2012);
- :mod:`ppml_lessons.dp.accounting` (lessons 04, 06): Rényi-DP accounting of the Poisson-subsampled
  Gaussian mechanism, ε of a DP-SGD run and the noise multiplier for a target ε;
- :mod:`ppml_lessons.dp.dpsgd` (lesson 04): DP-SGD from scratch as a pipeline (Poisson sampling,
  per-sample gradients with torch.func, clipping, noise, the step) and the checks it needs;
- :mod:`ppml_lessons.dp.models` (lesson 04): the small tanh CNN of the DP-SGD literature;
- :mod:`ppml_lessons.dp.scatternet` (lesson 04): ScatterNet features (fixed wavelets, kymatio),
  normalised per image at no privacy cost, and the linear model DP-SGD trains on them;
- :mod:`ppml_lessons.dp.trainer` (lesson 04): a DP-SGD training loop with Opacus's sampling
  conventions, accounting per epoch, and the lesson's settings.

Import from the submodules, e.g. ``from ppml_lessons.dp.mechanisms import laplace_mechanism``.
The noise here is sampled with ordinary floating-point arithmetic, which is fine for learning and
not safe for releasing real data (Mironov, 2012): use OpenDP's exact samplers, or Opacus with
``secure_mode=True``, which is a heuristic mitigation of the known floating-point attacks (Holohan &
Braghin, 2021), not a proof. Neither closes timing side channels by itself: a sampler whose running
time depends on the value drawn can leak it (Jin, McMurtry, Rubinstein & Ohrimenko, 2022).
"""

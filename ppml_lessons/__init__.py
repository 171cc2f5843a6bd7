"""ppml_lessons: the helper package of the ppml-lessons course on privacy-preserving and fair machine learning.

Submodules are imported on demand so that ``import ppml_lessons`` stays light:

- :mod:`ppml_lessons.data`: checksum-verified loaders (Adult, German credit, COMPAS, Fashion-MNIST);
- :mod:`ppml_lessons.environment`: seeding, device choice, the environment check;
- :mod:`ppml_lessons.training`, :mod:`ppml_lessons.models`: small torch models and their fit/evaluate loop;
- :mod:`ppml_lessons.plotting`: the shared figures;
- :mod:`ppml_lessons.exercises`: the exercise checkers, one module per lesson.
"""

__version__ = "0.1.0"

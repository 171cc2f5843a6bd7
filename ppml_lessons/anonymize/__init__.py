"""Anonymization and re-identification (lesson 02): what removing names does, and does not, protect.

- :mod:`.identifiers`: synthetic names, SSN-like ids, addresses and zip codes (Faker, seeded);
- :mod:`.generalize`: generalization hierarchies, :func:`generalize`, suppression of rare records;
- :mod:`.hierarchies`: the hierarchies and release levels the lesson uses for Adult;
- :mod:`.kanon`: equivalence classes, k-anonymity, l-diversity, the homogeneity attack;
- :mod:`.linkage`: the linkage attack and its re-identification rate;
- :mod:`.utility`: information lost by generalization and suppression.
"""

from .generalize import SUPPRESSED, Hierarchy, generalize, interval_hierarchy, mapping_hierarchy, suppress_small_classes
from .hierarchies import (
    ADULT_COUNTRY_REGIONS,
    GENERALIZATION_LEVELS,
    LEVEL_LABELS,
    QUASI_IDENTIFIERS,
    RACE_GROUPS,
    adult_hierarchies,
)
from .identifiers import DIRECT_IDENTIFIERS, STATE_REGIONS, attach_identifiers, zip_code_hierarchy
from .kanon import (
    class_ids,
    class_sizes,
    equivalence_classes,
    homogeneous_classes,
    l_diversity,
    share_homogeneous,
    share_unique,
    smallest_k,
    smallest_l,
)
from .linkage import LinkageResult, linkage_attack, sample_auxiliary
from .utility import information_loss, suppressed_share

__all__ = [
    "ADULT_COUNTRY_REGIONS",
    "DIRECT_IDENTIFIERS",
    "GENERALIZATION_LEVELS",
    "LEVEL_LABELS",
    "QUASI_IDENTIFIERS",
    "RACE_GROUPS",
    "STATE_REGIONS",
    "SUPPRESSED",
    "Hierarchy",
    "LinkageResult",
    "adult_hierarchies",
    "attach_identifiers",
    "class_ids",
    "class_sizes",
    "equivalence_classes",
    "generalize",
    "homogeneous_classes",
    "information_loss",
    "interval_hierarchy",
    "l_diversity",
    "linkage_attack",
    "mapping_hierarchy",
    "sample_auxiliary",
    "share_homogeneous",
    "share_unique",
    "smallest_k",
    "smallest_l",
    "suppress_small_classes",
    "suppressed_share",
    "zip_code_hierarchy",
]

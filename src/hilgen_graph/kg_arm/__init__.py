"""The knowledge-graph arm: substitute related concept names (from :mod:`hilgen_graph.grounding`)
into gold sentences, keeping IOB tags consistent.

Modules: ``substitution`` (new gold-style sentences), ``augment`` (the pipeline behind
``hilgen augment kg``).
"""

from hilgen_graph.kg_arm.augment import KgConfig, KgReport, KgRun, augment_kg, run_kg_arm

__all__ = ["KgConfig", "KgReport", "KgRun", "augment_kg", "run_kg_arm"]

"""Validation shared by both arms: the funnel every synthetic sentence passes (``funnel``), the
held-out (leakage) and duplicate guard (``guard``), and the check report (``report``).
"""

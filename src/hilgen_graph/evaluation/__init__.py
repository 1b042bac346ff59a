"""Few-shot evaluation: training token classifiers, prediction, nnshot decoding, ensembles,
metrics, the experiment runner and its reports.

Submodules are imported on demand (``from hilgen_graph.evaluation.metrics import score``) so that
importing the package does not import torch.
"""

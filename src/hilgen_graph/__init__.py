"""hilgen-graph: few-shot biomedical NER with knowledge-graph-grounded synthetic data."""

__version__ = "0.1.0"

"""Test doubles shipped for the test suite and the benchmarks: scripted chat models
(``fake_chat``) and a synthetic UMLS RRF generator (``synthetic_rrf``). Nothing in the toolkit's
own pipeline imports this package."""

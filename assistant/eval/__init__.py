"""Evaluation: run the real answer pipeline over a question set and measure it.

``python -m assistant.eval`` (see ``command.py``); metrics are defined in ``evals/README.md``.
"""

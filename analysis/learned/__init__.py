"""Learned incident risk: features, metrics and numpy inference (no Django, no TensorFlow).

TensorFlow is imported only by :mod:`analysis.learned.keras_fit`, which runs in a child
process of its own (MediaPipe shares the web and worker processes and must not meet it).
"""

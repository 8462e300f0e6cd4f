"""Vision analyzers: faces, head pose and gaze, identity, image quality.

Plain Python (no Django). Entry point: :class:`analysis.analyzers.vision.pipeline.FramePipeline`.
"""

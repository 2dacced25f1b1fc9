"""PoseStudio: pose characters, repaint garments and make image sequences offline."""

__version__ = "0.1.0"

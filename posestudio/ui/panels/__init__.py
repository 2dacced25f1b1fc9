"""Dock panels: layers, generator, joint, pose library."""

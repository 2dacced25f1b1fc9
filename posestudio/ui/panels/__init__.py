"""Dock panels: layers, generator, joint, pose library; garment, attribute and face editing (on the shared `edit_panel.EditPanel`), label palette, timeline."""

"""Editing tools added to the main window by ``install.install_editing_tools``:
parsing brush tools and label palette, garment / attribute / face editing
panels, the timeline dock and the render dialog."""

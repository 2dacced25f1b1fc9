"""While a paint tool is active, the layer it paints is drawn above the other
pictures (a generated result included), so strokes are never made blind under
it; switching the tool off puts the layer back in its place."""

from __future__ import annotations


def painted_layer(window):
    """The layer the active paint tool edits, or None when no paint tool is active."""
    tools = getattr(getattr(window, "editing", None), "tools", None)
    if tools is not None and tools.tool not in ("none", "eyedropper"):
        return tools.target()
    if window.view.paint_mode:
        return window.paint_target()
    return None


def update(window) -> None:
    layer = painted_layer(window)
    window.scene.raise_layer(layer.id if layer is not None else None)


def follow(window) -> None:
    """Keep the painted layer on top as tools, the current layer and the document change."""
    window.actions["paint_labels"].toggled.connect(lambda _on: update(window))
    window.layers_panel.current_layer_changed.connect(lambda _layer: update(window))
    window.session.document_replaced.connect(lambda _doc: update(window))


def follow_editing_tools(window) -> None:
    tools = getattr(getattr(window, "editing", None), "tools", None)
    if tools is not None:
        tools.changed.connect(lambda: update(window))

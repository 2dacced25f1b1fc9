"""Every menu/toolbar action in one table: text, shortcut, icon, tooltip and the
window method it calls. The window only composes; this table is where
shortcuts are looked up and documented."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence

from posestudio.ui import icons

S = QKeySequence.StandardKey


@dataclass(frozen=True)
class Spec:
    name: str
    text: str
    slot: str
    shortcut: object = None
    icon: str = ""
    tip: str = ""
    checkable: bool = False


SPECS = [
    # File
    Spec("new_from_image", "&New from Image…", "new_from_image", S.New, "open", "Start a project from a picture"),
    Spec("open", "&Open…", "open_dialog", S.Open, "open", "Open a project, an image or a pose file"),
    Spec("open_sample", "Open &Sample Project", "open_sample", None, "", "Open the DeepFashion sample project"),
    Spec("save", "&Save", "save", S.Save, "save", "Save the project (.psproj)"),
    Spec("save_as", "Save &As…", "save_as", S.SaveAs, "", "Save the project under a new name"),
    Spec("import_pose", "&Import Pose…", "import_pose", "Ctrl+I", "", "Import OpenPose / COCO JSON or pose CSV"),
    Spec("import_parsing", "Import &Parsing Map…", "import_parsing", "", "",
         "Add a garment label map (index or palette PNG) as a parsing layer"),
    Spec("export_image", "&Export Image…", "export_image", "Ctrl+Alt+E", "",
         "Write the generated result, the visible layers flattened, or every layer as OpenRaster (.ora)"),
    Spec("export_openpose", "Export &OpenPose JSON…", "export_openpose", "Ctrl+E", "",
         "Export the skeletons as OpenPose JSON (hidden joints are written as missing)"),
    Spec("export_skeleton", "Export &ControlNet Skeleton Image…", "export_skeleton", "Ctrl+Shift+E", "",
         "Export the skeletons as a ControlNet OpenPose image"),
    Spec("preferences", "&Preferences…", "preferences", "Ctrl+,", "", "Device, backend and model folder"),
    Spec("quit", "&Quit", "close", "Ctrl+Q", "", "Close PoseStudio"),
    # Edit
    Spec("select_all", "Select &All Joints", "select_all", S.SelectAll, "", "Select every joint of the current pose"),
    Spec("deselect", "&Deselect", "deselect", "Ctrl+Shift+A", "", "Clear the joint selection"),
    # View
    Spec("zoom_in", "Zoom &In", "zoom_in", S.ZoomIn, "zoom-in", "Zoom in (or the mouse wheel)"),
    Spec("zoom_out", "Zoom &Out", "zoom_out", S.ZoomOut, "zoom-out", "Zoom out (or the mouse wheel)"),
    Spec("zoom_fit", "&Fit to Window", "zoom_fit", "Ctrl+0", "zoom-fit", "Show the whole image"),
    Spec("zoom_100", "&Actual Pixels", "zoom_100", "Ctrl+1", "zoom-100", "One image pixel per screen pixel"),
    # Pose
    Spec("hide_joints", "&Hide Selected Joints", "hide_joints", "H", "hide-joint",
         "Mark the selected joints missing: their limbs disappear, in exports too"),
    Spec("restore_joints", "&Restore Hidden Joints", "restore_joints", "Shift+H", "show-joint",
         "Show the selected hidden joints again (all hidden joints when none is selected)"),
    Spec("mirror_pose", "&Mirror Pose", "mirror_pose", "M", "mirror",
         "Mirror the current person left-right, swapping left and right joints"),
    Spec("swap_sides", "&Swap Left/Right Labels", "swap_sides", "Shift+M", "swap",
         "Swap left and right joint labels without moving them (fixes a mislabelled pose)"),
    Spec("flip_pose", "&Flip Pose Vertically", "flip_pose", "Ctrl+Shift+V", "flip", "Turn the pose upside down"),
    Spec("rotate_left", "Rotate Selection Left", "rotate_left", "[", "", "Rotate the selection 5° about its centre"),
    Spec("rotate_right", "Rotate Selection Right", "rotate_right", "]", "", "Rotate the selection 5° the other way"),
    Spec("scale_up", "Enlarge Selection", "scale_up", ".", "", "Scale the selection up 5% about its centre"),
    Spec("scale_down", "Shrink Selection", "scale_down", ",", "", "Scale the selection down 5% about its centre"),
    Spec("bone_lock", "&Lock Bone Lengths", "toggle_bone_lock", "L", "bone-lock",
         "While on, dragging a joint swings it about its parent at a fixed bone length", True),
    Spec("add_person", "&Add Person", "add_person", "Ctrl+Shift+P", "add-person", "Add another person's skeleton"),
    Spec("remove_person", "Remove &Person", "remove_person", "", "remove-person",
         "Remove the person whose joint is selected"),
    Spec("detect_pose", "&Detect Pose", "detect_pose", "Ctrl+D", "",
         "Find the person in the picture and fit the source pose and the pose to them"),
    Spec("set_source_pose", "Set as &Source Pose", "set_source_pose", "", "",
         "Use the current pose as the source pose (the person's pose in the picture)"),
    Spec("reset_pose", "Reset to Source Pose", "reset_pose", "", "", "Put the current person back in the source pose"),
    Spec("save_to_library", "Save Pose to &Library…", "save_to_library", "", "library",
         "Save the current person's pose to the pose library"),
    Spec("set_keyframe", "Set &Keyframe at Playhead", "set_keyframe", "K", "",
         "Store the current poses as a keyframe (the timeline builds on these)"),
    # Paint
    Spec("paint_labels", "&Paint Labels", "toggle_paint", "B", "brush",
         "Paint garment labels on the current parsing layer (one stroke = one undo step)", True),
    # Image
    Spec("replace_picture", "&Replace Picture…", "replace_picture", "Ctrl+Shift+R", "open",
         "Put another picture under the same poses (poses and label maps are scaled, never reset)"),
    Spec("mirror_canvas", "Mirror &Canvas", "mirror_canvas", "Ctrl+M", "mirror",
         "Mirror the picture, the parsing (left/right labels swapped) and every pose together"),
    # Generate
    Spec("generate", "&Generate", "generate", "Ctrl+Return", "generate", "Generate the result layer"),
    Spec("live_preview", "&Live Preview", "toggle_live", "Ctrl+L", "",
         "Regenerate a preview after every pose change", True),
    # Help
    Spec("about", "&About PoseStudio", "about", "", "app", "Version and credits"),
]


def build(window) -> dict[str, QAction]:
    actions = {}
    for spec in SPECS:
        a = QAction(spec.text, window)
        if spec.shortcut:
            keys = QKeySequence.keyBindings(spec.shortcut) if isinstance(spec.shortcut, S) \
                else [QKeySequence(spec.shortcut)]
            if spec.name == "zoom_in":
                keys = [*keys, QKeySequence("Ctrl+=")]  # '+' needs Shift on most layouts
            a.setShortcuts(keys)
        if spec.icon:
            a.setIcon(icons.icon(spec.icon))
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        a.setToolTip(f"{spec.tip} ({keys})" if keys else spec.tip)
        a.setStatusTip(spec.tip)
        a.setCheckable(spec.checkable)
        slot = getattr(window, spec.slot)
        if spec.checkable:
            a.toggled.connect(slot)
        else:
            a.triggered.connect(lambda checked=False, s=slot: s())
        actions[spec.name] = a
    return actions

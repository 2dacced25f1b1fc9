"""Pure data: poses, label sets, file formats, the document. numpy/OpenCV/Pillow only."""

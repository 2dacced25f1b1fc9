"""Weight-free editing: garment repaint, attribute transfer, face colorization, parsing of any photo."""

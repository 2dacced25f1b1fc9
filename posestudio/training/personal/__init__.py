"""The personal model: one character's own pictures or video -> a model for that character.

- :mod:`.material`: the artist's folder or video -> ``RUN/material.json`` (frames, poses,
  mattes, first parsing maps, held-out frames, what was left out and why);
- :mod:`.pairs`: the training pairs and held-out pairs the material gives;
- :mod:`.progress`: ``RUN/progress.json`` and ``RUN/curves.jsonl`` (what the Train dock reads);
- :mod:`.score`: personal model vs the weight-free engine on the held-out frames;
- :mod:`.run`: the whole run behind ``posestudio personal`` (docs/PERSONAL.md).
"""

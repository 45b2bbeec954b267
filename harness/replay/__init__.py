"""Replay: card operations by name, the ``ssc-replay/1`` script format, and the player."""

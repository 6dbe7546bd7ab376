// CheckpointsTests: placeholder.

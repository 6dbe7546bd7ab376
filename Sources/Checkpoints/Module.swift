// Checkpoints: module placeholder.

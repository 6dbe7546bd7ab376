// Mapping: module placeholder.

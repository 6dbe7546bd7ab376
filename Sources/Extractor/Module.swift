// Extractor: module placeholder.

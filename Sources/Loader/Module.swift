// Loader: module placeholder.

// APIContract: module placeholder.

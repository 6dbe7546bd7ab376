// SyncEngine: module placeholder.

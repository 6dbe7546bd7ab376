// SyncCoreTests: placeholder.

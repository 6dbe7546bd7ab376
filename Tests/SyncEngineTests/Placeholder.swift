// SyncEngineTests: placeholder.

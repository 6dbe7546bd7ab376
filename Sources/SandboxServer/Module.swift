// SandboxServer: module placeholder.

// SandboxServerTests: placeholder.

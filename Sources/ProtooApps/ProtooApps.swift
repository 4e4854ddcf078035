/// Built-in server apps on the public engine API: `conformance` (`../shared/conformance-app.md`)
/// and `conference` (the video-conference signaling model).
public enum BuiltInApps {}

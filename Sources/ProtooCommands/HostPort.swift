/// `HOST:PORT` on the command line (`--listen`, `--metrics`): the last colon splits, and brackets
/// around an IPv6 host go (`[::1]:9464`); `nil` without a host or with a port outside 0...65535.
func hostPort(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return host.isEmpty ? nil : (host, port)
}

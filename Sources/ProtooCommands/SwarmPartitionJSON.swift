/// `simulate --seeds --json`'s object: `{"seeds": [...]}` for a whole swarm; a partition's adds
/// `partition` (`I/N`) and `range` (`A..B`), which `protoo report merge` checks.
struct SwarmPartitionJSON: Codable {
    /// One object per seed, every value a string (`seed`, `status`, `digest` or `invariant` and
    /// `reproduce`, with `--minimize` also `repro` and `minimal`).
    var seeds: [[String: String]]
    var partition: String?
    var range: String?
}

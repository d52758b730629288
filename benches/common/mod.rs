//! What the benchmark binaries share: reading the count from the command line.

/// `(benching, count)`: under `cargo bench` (`--bench` given) the first numeric argument
/// or `full`; under `cargo test` a small `smoke` count so the bench still runs end to end.
pub fn count_from_args(full: usize, smoke: usize) -> (bool, usize) {
    let args: Vec<String> = std::env::args().collect();
    let benching = args.iter().any(|a| a == "--bench");
    let count = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { full } else { smoke });
    (benching, count)
}

//! What the benchmark binaries share: reading the count from the command line, and
//! turning per-sample times into p50 / p99 / max.

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

/// `(p50, p99, max)` in milliseconds of samples given in microseconds (sorts them).
pub fn p50_p99_max_ms(micros: &mut [f64]) -> (f64, f64, f64) {
    micros.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| micros[((micros.len() - 1) as f64 * p).round() as usize] / 1000.0;
    (pct(0.5), pct(0.99), pct(1.0))
}

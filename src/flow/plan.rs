//! Drawing the challenge order.

use certpoint_protocol::Action;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The actions asked in `attempt` of a session seeded with `seed`: `count` distinct
/// actions of `set` (duplicates in `set` ignored, `count` clamped to what is there), in
/// random order.
///
/// The seed keys the ChaCha stream and the attempt number selects the stream, so every
/// attempt of a session gets an independent order that a replay reproduces exactly,
/// while nothing about one attempt's order tells an attacker the next one.
pub fn challenge_plan(set: &[Action], count: usize, seed: u64, attempt: u32) -> Vec<Action> {
    let mut actions: Vec<Action> = Vec::with_capacity(set.len());
    for a in set {
        if !actions.contains(a) {
            actions.push(*a);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(attempt));
    actions.shuffle(&mut rng);
    actions.truncate(count);
    actions
}

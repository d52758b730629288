//! The challenge order: reproducible for a seed, different across seeds and attempts.

use std::collections::HashSet;

use certpoint_protocol::Action;

use super::harness::Driver;
use crate::flow::{challenge_plan, Event, FlowParams};

const SET: [Action; 6] = Action::ALL;

#[test]
fn same_seed_and_attempt_give_the_same_order() {
    for seed in [0, 1, 42, u64::MAX] {
        for attempt in 1..=3 {
            assert_eq!(
                challenge_plan(&SET, 4, seed, attempt),
                challenge_plan(&SET, 4, seed, attempt)
            );
        }
    }
}

#[test]
fn plans_hold_distinct_actions_from_the_set() {
    for seed in 0..200 {
        let plan = challenge_plan(&SET, 4, seed, 1);
        assert_eq!(plan.len(), 4);
        assert_eq!(plan.iter().collect::<HashSet<_>>().len(), 4, "{plan:?}");
    }
}

#[test]
fn orders_vary_across_seeds_and_attempts() {
    let by_seed: HashSet<Vec<Action>> = (0..200).map(|s| challenge_plan(&SET, 3, s, 1)).collect();
    // 120 possible ordered triples; 200 seeds should land on most of them.
    assert!(by_seed.len() > 60, "only {} distinct orders", by_seed.len());

    let differing = (0..100)
        .filter(|&s| challenge_plan(&SET, 3, s, 1) != challenge_plan(&SET, 3, s, 2))
        .count();
    assert!(
        differing > 90,
        "attempt 2 repeated attempt 1 for {} of 100 seeds",
        100 - differing
    );

    // Every action gets asked first sometimes: no position is predictable.
    let firsts: HashSet<Action> = (0..200).map(|s| challenge_plan(&SET, 3, s, 1)[0]).collect();
    assert_eq!(firsts.len(), SET.len());
}

#[test]
fn count_is_clamped_and_duplicates_ignored() {
    let set = [Action::Blink, Action::Blink, Action::Nod];
    let plan = challenge_plan(&set, 5, 9, 1);
    assert_eq!(plan.len(), 2);
    assert!(plan.contains(&Action::Blink) && plan.contains(&Action::Nod));
    assert!(challenge_plan(&[], 3, 9, 1).is_empty());
    assert!(challenge_plan(&SET, 0, 9, 1).is_empty());
}

#[test]
fn the_flow_asks_the_plan_of_the_session_seed_and_attempt() {
    let params = FlowParams::for_tests();
    let mut d = Driver::tests();
    d.seed = 1234;
    d.scan().online().place();
    let asked = d.state.remaining_challenges().to_vec();
    assert_eq!(
        asked,
        challenge_plan(&params.challenge_set, params.challenge_count, 1234, 1)
    );

    d.perform();
    d.after(100, super::harness::scored(0.1));
    d.after(100, Event::Retry);
    d.place();
    let again = d.state.remaining_challenges().to_vec();
    assert_eq!(
        again,
        challenge_plan(&params.challenge_set, params.challenge_count, 1234, 2)
    );
}

#[test]
fn an_empty_plan_goes_straight_run_to_matching() {
    let mut params = FlowParams::for_tests();
    params.challenge_count = 0;
    let mut d = Driver::new(params);
    d.scan().online();
    d.after(100, super::harness::good());
    let fx = d.after(1_000, super::harness::good());
    assert_eq!(d.state.name(), "matching");
    assert!(fx.contains(&crate::flow::Effect::RunMatch));
}

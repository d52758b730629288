//! The clerk's per-person exclusions: which actions a condition rules out, and the
//! challenge set that is left.
//!
//! A stiff neck rules out every head movement (turns, looking up, nodding), an eye
//! condition the blink. The record lists each excluded action with its reason, but
//! only the actions the configured set actually contains: an action that would never
//! have been asked was not excluded from anything.

use certpoint_protocol::{Action, ExcludedAction, ExclusionReason};

/// The actions `reason` rules out.
pub fn ruled_out(reason: ExclusionReason) -> &'static [Action] {
    match reason {
        ExclusionReason::StiffNeck => &[
            Action::TurnLeft,
            Action::TurnRight,
            Action::LookUp,
            Action::Nod,
        ],
        ExclusionReason::EyeCondition => &[Action::Blink],
    }
}

/// The exclusions `reasons` make in `set`, in `set` order (duplicates once; an action
/// ruled out by two reasons carries the first).
pub fn excluded_actions(set: &[Action], reasons: &[ExclusionReason]) -> Vec<ExcludedAction> {
    let mut out: Vec<ExcludedAction> = Vec::new();
    for &action in set {
        if out.iter().any(|e| e.action == action) {
            continue;
        }
        if let Some(&reason) = reasons.iter().find(|r| ruled_out(**r).contains(&action)) {
            out.push(ExcludedAction { action, reason });
        }
    }
    out
}

/// `set` without the excluded actions.
pub(super) fn allowed_set(set: &[Action], excluded: &[ExcludedAction]) -> Vec<Action> {
    set.iter()
        .copied()
        .filter(|a| !excluded.iter().any(|e| e.action == *a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: [Action; 4] = [
        Action::Blink,
        Action::TurnLeft,
        Action::TurnRight,
        Action::LookUp,
    ];

    #[test]
    fn a_stiff_neck_leaves_the_blink_and_eyes_leave_the_turns() {
        let neck = excluded_actions(&SET, &[ExclusionReason::StiffNeck]);
        assert_eq!(
            neck.iter().map(|e| e.action).collect::<Vec<_>>(),
            [Action::TurnLeft, Action::TurnRight, Action::LookUp]
        );
        assert!(neck.iter().all(|e| e.reason == ExclusionReason::StiffNeck));
        assert_eq!(allowed_set(&SET, &neck), [Action::Blink]);
        let eyes = excluded_actions(&SET, &[ExclusionReason::EyeCondition]);
        assert_eq!(
            allowed_set(&SET, &eyes),
            [Action::TurnLeft, Action::TurnRight, Action::LookUp]
        );
        let both = excluded_actions(
            &SET,
            &[ExclusionReason::StiffNeck, ExclusionReason::EyeCondition],
        );
        assert!(allowed_set(&SET, &both).is_empty());
        assert!(excluded_actions(&SET, &[]).is_empty());
    }

    #[test]
    fn only_actions_of_the_set_are_listed() {
        let set = [Action::Blink, Action::OpenMouth];
        let neck = excluded_actions(&set, &[ExclusionReason::StiffNeck]);
        assert!(
            neck.is_empty(),
            "nod and the turns were never going to be asked"
        );
        let with_nod = [Action::Nod, Action::OpenMouth];
        assert_eq!(
            excluded_actions(&with_nod, &[ExclusionReason::StiffNeck]),
            [ExcludedAction {
                action: Action::Nod,
                reason: ExclusionReason::StiffNeck
            }]
        );
    }
}

//! The states of the flow and the data each one carries. The UI renders these directly.

use certpoint_protocol::{Action, Channel, ExcludedAction, FaceMatch, IdSource, ReferenceSource};
use chrono::{DateTime, FixedOffset};

use super::effect::{Ineligibility, PendingReason, Prompt, Verdict};
use super::event::{CardFacts, Placement};
use super::evidence::Evidence;
use super::params::FlowParams;
use super::voice::Voice;
use crate::id_number::IdNumber;

/// The flow's whole state. Each variant holds exactly what its screen and its
/// transitions need, so no field is ever "meaningless in this state".
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Attract screen.
    Idle,
    /// Waiting for the server's answer about the person; no attempt has started, so
    /// cancelling here leaves no record (a mis-scan must not put an abandoned
    /// certification on a stranger's file).
    IdentityEntered {
        session: Session,
        lookup_started_ms: u64,
    },
    /// Getting one face well placed. The attempt has started.
    Positioning(Positioning),
    /// Asking the actions of the plan one after another.
    Challenges(Challenges),
    /// Waiting for the runner's comparison with the reference photo.
    Matching(Matching),
    /// Pass screen; the record is already stored. Reached only through a face match
    /// scored at or above the threshold, or a clerk's manual pass.
    Passed {
        session: Session,
        manual: bool,
        face_match: FaceMatch,
        shown_since_ms: u64,
    },
    /// Fail screen with attempts left. The failed attempt is already stored; `failure`
    /// stays for the screen's reason and for a manual pass to copy its evidence.
    Failed {
        session: Session,
        failure: Verdict,
        shown_since_ms: u64,
    },
    /// No automatic attempts left: the clerk verifies the person by hand or cancels.
    /// As on the fail screen, the last failure is already stored.
    ClerkAssist {
        session: Session,
        failure: Verdict,
        since_ms: u64,
    },
    /// Live, but no reference could be scored: the attempt is already stored as
    /// `pending_match` with `reason`. The retiree is told it is recorded and the office
    /// will confirm; the clerk sees why and may check the physical ID card and record a
    /// manual pass (which copies `verdict`). A retry cannot produce a reference, so
    /// there is none; a new scan starts the next person.
    PendingMatch {
        session: Session,
        verdict: Verdict,
        reason: PendingReason,
        since_ms: u64,
    },
    /// The server says the person is already certified; no attempt, no record.
    AlreadyCertified {
        id: IdNumber,
        at: Option<DateTime<FixedOffset>>,
        channel: Option<Channel>,
        shown_since_ms: u64,
    },
    /// The server says the person may not certify here (deceased, suspended, not on
    /// the roster). No attempt was made and nothing is stored; the retiree is asked to
    /// see the clerk, who reads `why`. No manual pass from here: this is for the
    /// pension office, not for a check of the ID card.
    NotEligible {
        id: IdNumber,
        why: Ineligibility,
        since_ms: u64,
    },
    /// The camera is gone; only the clerk can leave this (cancel), or its return.
    CameraFault { since_ms: u64 },
    /// The clerk checks the person by the physical ID card, without the camera:
    /// because it is down, or because the person cannot perform the challenges. Only a
    /// manual pass (clerk id, PIN, reason) or a cancel leaves it, or the decision
    /// timeout. Whatever attempt ran before is already stored.
    ManualCheck {
        session: Session,
        why: ManualWhy,
        since_ms: u64,
    },
}

/// Why the clerk checks by hand without a failed attempt first; the `reason` of the
/// `manual_passed` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManualWhy {
    /// The camera was down when the person came (a scan in the camera-fault screen).
    CameraUnavailable,
    /// The clerk judged the person unable to do the challenges.
    CannotPerformChallenges,
}

impl ManualWhy {
    pub const ALL: [ManualWhy; 2] = [
        ManualWhy::CameraUnavailable,
        ManualWhy::CannotPerformChallenges,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ManualWhy::CameraUnavailable => "camera_unavailable",
            ManualWhy::CannotPerformChallenges => "cannot_perform_challenges",
        }
    }
}

/// Data of [`State::Positioning`].
#[derive(Debug, Clone, PartialEq)]
pub struct Positioning {
    pub session: Session,
    pub evidence: Evidence,
    pub started_ms: u64,
    /// Since when every frame has been `Good`.
    pub well_placed_since: Option<u64>,
    /// Placement of the latest frame.
    pub hint: Option<Placement>,
    pub voice: Voice,
    /// Where the screen-flash challenge stands in this attempt.
    pub flash: FlashPhase,
}

/// The screen-flash challenge as the flow sees it: the runner draws, paints and
/// measures; the flow only starts it, waits for it and keeps its result (in the
/// attempt's [`Evidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashPhase {
    /// Not started yet (it starts on the first well-placed frame), or configured off.
    Pending,
    /// Asked of the runner at `since_ms`; positioning does not end before its result
    /// or `flash_timeout_ms`.
    Running { since_ms: u64 },
    /// The result came in (or never will): positioning may end.
    Done,
}

/// Data of [`State::Challenges`].
#[derive(Debug, Clone, PartialEq)]
pub struct Challenges {
    pub session: Session,
    pub evidence: Evidence,
    pub plan: Vec<Action>,
    /// Index into `plan` of the action being asked.
    pub index: usize,
    pub current_started_ms: u64,
    /// Since when no face has been seen.
    pub absent_since: Option<u64>,
    /// Since when more than one face has been seen.
    pub crowd_since: Option<u64>,
    pub voice: Voice,
}

impl Challenges {
    pub fn current(&self) -> Option<Action> {
        self.plan.get(self.index).copied()
    }
}

/// Data of [`State::Matching`].
#[derive(Debug, Clone, PartialEq)]
pub struct Matching {
    pub session: Session,
    pub evidence: Evidence,
    pub started_ms: u64,
}

/// One person's visit: from the scan to the end of their last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: IdNumber,
    /// The current (or, before positioning, the first) attempt, counting from 1.
    pub attempt: u32,
    /// Seed of every challenge order in this session.
    pub seed: u64,
    pub started_wall: DateTime<FixedOffset>,
    pub started_ms: u64,
    pub attempt_started_wall: DateTime<FixedOffset>,
    pub attempt_started_ms: u64,
    pub reference: ReferenceStatus,
    /// Where the ID number came from (every record of the session says so).
    pub id_source: IdSource,
    /// What the card said, when the number came from the card reader.
    pub card: Option<CardFacts>,
    /// Actions the clerk excluded for this person, in `challenge_set` order.
    pub excluded: Vec<ExcludedAction>,
}

/// What the kiosk knows about the person's reference photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceStatus {
    /// Asked, no answer yet.
    Pending,
    Found {
        version: String,
        source: ReferenceSource,
    },
    /// The server has none enrolled.
    NotFound,
    /// One arrived, but no single face could be embedded from it.
    Unusable,
    /// The server could not be asked (and no cached reference was at hand).
    Unavailable,
    /// No answer in time; a late answer is still taken.
    TimedOut,
}

impl ReferenceStatus {
    /// Why an attempt judged with this status could not be matched. `Found` with no
    /// comparison from the runner means the runner could not use what it announced.
    pub fn pending_reason(&self) -> PendingReason {
        match self {
            ReferenceStatus::NotFound => PendingReason::NoReference,
            ReferenceStatus::Unusable | ReferenceStatus::Found { .. } => {
                PendingReason::ReferenceUnusable
            }
            ReferenceStatus::Pending | ReferenceStatus::Unavailable | ReferenceStatus::TimedOut => {
                PendingReason::ServerUnavailable
            }
        }
    }

    /// Whether an answer from the server would still be news.
    pub fn awaiting_answer(&self) -> bool {
        matches!(self, ReferenceStatus::Pending | ReferenceStatus::TimedOut)
    }
}

impl State {
    pub fn session(&self) -> Option<&Session> {
        match self {
            State::Positioning(Positioning { session, .. })
            | State::Challenges(Challenges { session, .. })
            | State::Matching(Matching { session, .. }) => Some(session),
            State::IdentityEntered { session, .. }
            | State::Passed { session, .. }
            | State::Failed { session, .. }
            | State::ClerkAssist { session, .. }
            | State::PendingMatch { session, .. }
            | State::ManualCheck { session, .. } => Some(session),
            State::Idle
            | State::AlreadyCertified { .. }
            | State::NotEligible { .. }
            | State::CameraFault { .. } => None,
        }
    }

    /// snake_case name for logs, the audit trail and UI snapshots.
    pub fn name(&self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::IdentityEntered { .. } => "identity_entered",
            State::Positioning(_) => "positioning",
            State::Challenges(_) => "challenges",
            State::Matching(_) => "matching",
            State::Passed { .. } => "passed",
            State::Failed { .. } => "failed",
            State::ClerkAssist { .. } => "clerk_assist",
            State::PendingMatch { .. } => "pending_match",
            State::AlreadyCertified { .. } => "already_certified",
            State::NotEligible { .. } => "not_eligible",
            State::CameraFault { .. } => "camera_fault",
            State::ManualCheck { .. } => "manual_check",
        }
    }

    /// An attempt is running: ending it now means an `abandoned` record.
    pub fn attempt_in_progress(&self) -> bool {
        matches!(
            self,
            State::Positioning(_) | State::Challenges(_) | State::Matching(_)
        )
    }

    /// An attempt failed or could not be matched (and is stored), or the clerk checks
    /// by hand (`ManualCheck`); the session waits for a retry or a clerk's decision.
    /// The only states where a manual pass is accepted.
    pub fn awaiting_decision(&self) -> bool {
        matches!(
            self,
            State::Failed { .. }
                | State::ClerkAssist { .. }
                | State::PendingMatch { .. }
                | State::ManualCheck { .. }
        )
    }

    /// The verdict a manual pass here would copy.
    pub fn decision_verdict(&self) -> Option<&Verdict> {
        match self {
            State::Failed { failure, .. } | State::ClerkAssist { failure, .. } => Some(failure),
            State::PendingMatch { verdict, .. } => Some(verdict),
            _ => None,
        }
    }

    /// The action being asked right now.
    pub fn current_challenge(&self) -> Option<Action> {
        match self {
            State::Challenges(c) => c.current(),
            _ => None,
        }
    }

    /// The current action and those still to come (for the progress dots).
    pub fn remaining_challenges(&self) -> &[Action] {
        match self {
            State::Challenges(c) => c.plan.get(c.index..).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Automatic attempts the session has left after the current one.
    pub fn attempts_left(&self, params: &FlowParams) -> Option<u32> {
        self.session()
            .map(|s| params.attempts_allowed().saturating_sub(s.attempt))
    }

    /// Monotonic time at which this state's own timer fires, if it has one.
    pub fn deadline_ms(&self, params: &FlowParams) -> Option<u64> {
        let (since, len) = match self {
            State::Idle | State::CameraFault { .. } => return None,
            State::IdentityEntered {
                lookup_started_ms, ..
            } => (*lookup_started_ms, params.reference_timeout_ms),
            State::Positioning(p) => (p.started_ms, params.positioning_timeout_ms),
            State::Challenges(c) => (c.current_started_ms, params.challenge_timeout_ms),
            State::Matching(m) => (m.started_ms, params.matching_timeout_ms),
            State::Passed { shown_since_ms, .. }
            | State::AlreadyCertified { shown_since_ms, .. } => {
                (*shown_since_ms, params.result_display_ms)
            }
            State::Failed {
                shown_since_ms: since,
                ..
            }
            | State::ClerkAssist {
                since_ms: since, ..
            }
            | State::PendingMatch {
                since_ms: since, ..
            }
            | State::NotEligible {
                since_ms: since, ..
            }
            | State::ManualCheck {
                since_ms: since, ..
            } => (*since, params.decision_timeout_ms),
        };
        Some(since.saturating_add(len))
    }

    /// Milliseconds left before this state's timer fires (for countdown rings).
    pub fn countdown_ms(&self, now_ms: u64, params: &FlowParams) -> Option<u64> {
        self.deadline_ms(params).map(|d| d.saturating_sub(now_ms))
    }

    /// The main instruction the screen shows in this state.
    pub fn screen_prompt(&self) -> Prompt {
        match self {
            State::Idle => Prompt::HandIdToClerk,
            State::IdentityEntered { .. } => Prompt::PleaseWait,
            State::Positioning(Positioning {
                flash: FlashPhase::Running { .. },
                ..
            }) => Prompt::FlashNotice,
            State::Positioning(p) => match p.hint {
                None => Prompt::LookAtScreen,
                Some(Placement::Good) => Prompt::HoldStill,
                Some(h) => Prompt::Hint(h),
            },
            State::Challenges(c) => match c.current() {
                Some(a) => Prompt::Challenge(a),
                None => Prompt::Checking,
            },
            State::Matching(_) => Prompt::Checking,
            State::Passed { .. } => Prompt::Passed,
            State::Failed { failure, .. } => match failure.reason {
                Some(r) => Prompt::Failed(r),
                None => Prompt::SeeClerk,
            },
            State::ClerkAssist { .. } | State::NotEligible { .. } | State::ManualCheck { .. } => {
                Prompt::SeeClerk
            }
            State::PendingMatch { .. } => Prompt::PendingMatch,
            State::AlreadyCertified { .. } => Prompt::AlreadyCertified,
            State::CameraFault { .. } => Prompt::CameraProblem,
        }
    }
}

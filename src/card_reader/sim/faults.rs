//! The faults the simulator can inject, written `NAME[:COUNT][@COMMAND]` on its command
//! line: `bad-checksum` spoils the first answer, `bad-checksum:all` every one,
//! `silence:2@read` leaves the first two READ requests unanswered.

use std::fmt;
use std::str::FromStr;

use crate::card_reader::command::Command;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The answer's checksum byte is wrong.
    BadChecksum,
    /// No answer at all.
    Silence,
    /// The answer comes in three pieces with pauses, the preamble split.
    PartialFrames,
    /// The answer is paced as on a 9,600-baud line (about 1 ms a byte).
    SlowWrites,
    /// Junk, including a false preamble start, before the answer.
    Noise,
    /// The SAM reports a failed self-test (status 60) to SAM STATUS.
    SamFailure,
}

const KINDS: [(FaultKind, &str); 6] = [
    (FaultKind::BadChecksum, "bad-checksum"),
    (FaultKind::Silence, "silence"),
    (FaultKind::PartialFrames, "partial-frames"),
    (FaultKind::SlowWrites, "slow-writes"),
    (FaultKind::Noise, "noise"),
    (FaultKind::SamFailure, "sam-failure"),
];

/// Command names for `@COMMAND`.
const COMMANDS: [(&str, Command); 7] = [
    ("reset", Command::ResetSam),
    ("status", Command::SamStatus),
    ("samid", Command::SamId),
    ("find", Command::FindCard),
    ("select", Command::SelectCard),
    ("read", Command::ReadBase),
    ("address", Command::AdditionalAddress),
];

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        KINDS
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// How many answers a fault named without a count affects: the transit faults hit
    /// the first answer (a retry recovers), the pacing ones and the SAM failure all.
    fn default_count(self) -> Option<u32> {
        match self {
            FaultKind::BadChecksum | FaultKind::Silence => Some(1),
            _ => None,
        }
    }
}

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Answers still to spoil; `None` = every one.
    pub remaining: Option<u32>,
    /// Only answers to this command; `None` = any command.
    pub only: Option<Command>,
}

impl Fault {
    /// Whether this fault applies to the answer to `command`, counting it if so.
    pub fn hits(&mut self, command: Option<Command>) -> bool {
        if self.only.is_some() && self.only != command {
            return false;
        }
        match &mut self.remaining {
            None => true,
            Some(0) => false,
            Some(n) => {
                *n -= 1;
                true
            }
        }
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Fault, String> {
        let (rest, only) = match s.split_once('@') {
            Some((rest, cmd)) => {
                let c = COMMANDS
                    .iter()
                    .find(|(n, _)| *n == cmd)
                    .map(|(_, c)| *c)
                    .ok_or_else(|| {
                        let names: Vec<_> = COMMANDS.iter().map(|(n, _)| *n).collect();
                        format!(
                            "unknown command {cmd:?} after @; use one of {}",
                            names.join(", ")
                        )
                    })?;
                (rest, Some(c))
            }
            None => (s, None),
        };
        let (name, count) = match rest.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (rest, None),
        };
        let kind = KINDS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                let names: Vec<_> = KINDS.iter().map(|(_, n)| *n).collect();
                format!("unknown fault {name:?}; use one of {}", names.join(", "))
            })?;
        let remaining = match count {
            None => kind.default_count(),
            Some("all") => None,
            Some(n) => Some(n.parse::<u32>().map_err(|_| {
                format!("{n:?} is not a count; write a number of answers or \"all\"")
            })?),
        };
        Ok(Fault {
            kind,
            remaining,
            only,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        match self.remaining {
            None => f.write_str(":all")?,
            Some(n) => write!(f, ":{n}")?,
        }
        if let Some(c) = self.only {
            let name = COMMANDS
                .iter()
                .find(|(_, x)| *x == c)
                .map_or("?", |(n, _)| n);
            write!(f, "@{name}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_with_counts_and_targets() {
        let f: Fault = "bad-checksum".parse().unwrap();
        assert_eq!(
            (f.kind, f.remaining, f.only),
            (FaultKind::BadChecksum, Some(1), None)
        );
        let f: Fault = "silence:all".parse().unwrap();
        assert_eq!(f.remaining, None);
        let f: Fault = "partial-frames".parse().unwrap();
        assert_eq!(f.remaining, None, "pacing faults hit every answer");
        let f: Fault = "silence:2@read".parse().unwrap();
        assert_eq!((f.remaining, f.only), (Some(2), Some(Command::ReadBase)));
        assert_eq!(f.to_string(), "silence:2@read");
        for bad in ["checksum", "silence:x", "silence@write", ""] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_fault_counts_down_only_on_its_command() {
        let mut f: Fault = "bad-checksum:2@find".parse().unwrap();
        assert!(!f.hits(Some(Command::SamStatus)));
        assert!(f.hits(Some(Command::FindCard)));
        assert!(f.hits(Some(Command::FindCard)));
        assert!(!f.hits(Some(Command::FindCard)));
        let mut all: Fault = "noise".parse().unwrap();
        assert!((0..100).all(|_| all.hits(None)));
    }
}

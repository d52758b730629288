//! Configuration values that are more than a plain string or number: the server token
//! ([`Secret`]), the camera source ([`CameraSource`]) and the month-day bounds of the
//! certification window ([`MonthDay`]).
//!
//! Each parses from the string an administrator writes, and a bad string fails
//! deserialisation with a message *and* a fix, so `check-config` can say what to write.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Separates the message from the fix inside a serde custom error, so the loader can
/// turn our own parse failures into a [`super::Problem`] with both parts. A control
/// character, so it never collides with text serde or toml produce.
const FIX_SEP: char = '\u{1f}';

/// Why a configuration value did not parse, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub message: String,
    pub fix: String,
}

impl ValueError {
    fn new(message: impl Into<String>, fix: impl Into<String>) -> Self {
        ValueError {
            message: message.into(),
            fix: fix.into(),
        }
    }

    fn into_serde<E: serde::de::Error>(self) -> E {
        E::custom(format!("{}{FIX_SEP}{}", self.message, self.fix))
    }

    /// Recovers the message and fix from a serde error raised by [`Self::into_serde`].
    pub(crate) fn split(serde_message: &str) -> Option<(String, String)> {
        let (message, fix) = serde_message.split_once(FIX_SEP)?;
        Some((message.to_owned(), fix.to_owned()))
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} — {}", self.message, self.fix)
    }
}

impl std::error::Error for ValueError {}

/// A credential from the configuration. Debug and Display print `***` (or `""` when
/// unset) so a `{:?}` of the whole configuration, or a log line, never carries it.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (the Authorization header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Where camera frames come from (`camera.source`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CameraSource {
    /// The first working camera; the synthetic demo feed when there is none, so a
    /// developer machine without a webcam still runs the kiosk.
    #[default]
    Auto,
    /// The synthetic demo feed.
    Demo,
    /// A camera by device index (`device:0` is `/dev/video0` on Linux).
    Device(u32),
    /// Recorded frames replayed from a directory (`file:PATH`), for tests and demos;
    /// a relative path resolves against the configuration file's directory.
    Replay(PathBuf),
}

const CAMERA_FORMS: &str =
    "write \"auto\", \"demo\", \"device:N\" (e.g. \"device:0\") or \"file:PATH\" (a directory of recorded frames)";

impl FromStr for CameraSource {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, ValueError> {
        match s {
            "auto" => return Ok(CameraSource::Auto),
            "demo" => return Ok(CameraSource::Demo),
            _ => {}
        }
        if let Some(digits) = s.strip_prefix("device:") {
            // `parse` also takes "+1" and "007"; one spelling per device keeps logs and
            // records comparable.
            return match digits.parse::<u32>() {
                Ok(n) if n.to_string() == digits => Ok(CameraSource::Device(n)),
                _ => Err(ValueError::new(
                    format!("\"{s}\" has no valid device number"),
                    "write the camera's index after \"device:\", e.g. \"device:0\"",
                )),
            };
        }
        if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                return Err(ValueError::new(
                    "\"file:\" names no replay directory",
                    "write the directory of recorded frames after \"file:\", e.g. \"file:tests/replay/ok\"",
                ));
            }
            return Ok(CameraSource::Replay(PathBuf::from(path)));
        }
        Err(ValueError::new(
            format!("\"{s}\" is not a camera source"),
            CAMERA_FORMS,
        ))
    }
}

impl fmt::Display for CameraSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CameraSource::Auto => f.write_str("auto"),
            CameraSource::Demo => f.write_str("demo"),
            CameraSource::Device(n) => write!(f, "device:{n}"),
            CameraSource::Replay(p) => write!(f, "file:{}", p.display()),
        }
    }
}

impl Serialize for CameraSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CameraSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(ValueError::into_serde)
    }
}

/// A day of the year without the year (`"MM-DD"`), the bound of a certification window
/// that repeats every year. `02-29` is allowed; in other years it simply never occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    // Field order matters: the derived Ord compares month first.
    month: u32,
    day: u32,
}

impl MonthDay {
    /// `None` unless the day exists in that month in some year.
    pub fn new(month: u32, day: u32) -> Option<MonthDay> {
        let last = match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            _ => return None,
        };
        (1..=last).contains(&day).then_some(MonthDay { month, day })
    }

    pub fn of(date: NaiveDate) -> MonthDay {
        MonthDay {
            month: date.month(),
            day: date.day(),
        }
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }
}

impl FromStr for MonthDay {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, ValueError> {
        let b = s.as_bytes();
        let shaped =
            b.len() == 5 && b[2] == b'-' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
        if !shaped {
            return Err(ValueError::new(
                format!("\"{s}\" is not a month-day"),
                "write it as \"MM-DD\" with two digits each, e.g. \"04-01\" for 1 April",
            ));
        }
        let month = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
        let day = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
        MonthDay::new(month, day).ok_or_else(|| {
            ValueError::new(
                format!("\"{s}\" is not a day of the year"),
                "use a real date as \"MM-DD\": month 01 to 12 and a day that month has",
            )
        })
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(ValueError::into_serde)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_shows_in_debug_or_display() {
        let s = Secret::new("tok-123456");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.to_string(), "***");
        assert_eq!(s.expose(), "tok-123456");
        assert_eq!(format!("{:?}", Secret::default()), "\"\"");
    }

    #[test]
    fn camera_sources_parse() {
        assert_eq!("auto".parse(), Ok(CameraSource::Auto));
        assert_eq!("demo".parse(), Ok(CameraSource::Demo));
        assert_eq!("device:0".parse(), Ok(CameraSource::Device(0)));
        assert_eq!("device:12".parse(), Ok(CameraSource::Device(12)));
        assert_eq!(
            "file:replay/a b".parse(),
            Ok(CameraSource::Replay("replay/a b".into()))
        );
        for bad in [
            "",
            "Auto",
            "webcam",
            "device:",
            "device:-1",
            "device:x",
            "device:+1",
            "device:01",
            "file:",
        ] {
            let err = bad.parse::<CameraSource>().unwrap_err();
            assert!(!err.fix.is_empty(), "{bad}");
        }
    }

    #[test]
    fn camera_source_round_trips_through_display() {
        for s in ["auto", "demo", "device:3", "file:/srv/replay"] {
            assert_eq!(s.parse::<CameraSource>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn month_days_parse_and_reject() {
        assert_eq!("04-01".parse(), Ok(MonthDay::new(4, 1).unwrap()));
        assert_eq!("02-29".parse::<MonthDay>().unwrap().to_string(), "02-29");
        for bad in [
            "4-01", "04/01", "13-01", "00-10", "04-31", "02-30", "04-00", "0401", "04-01 ",
        ] {
            assert!(bad.parse::<MonthDay>().is_err(), "{bad}");
        }
    }

    #[test]
    fn value_error_survives_the_serde_round_trip() {
        let err: toml::de::Error = ValueError::new("bad", "do this").into_serde();
        assert_eq!(
            ValueError::split(err.message()),
            Some(("bad".into(), "do this".into()))
        );
        assert_eq!(ValueError::split("plain serde text"), None);
    }
}

//! `[card_reader]`: the ID card reader (see `crate::card_reader`) and the vendor's
//! decoder for its chip photo. Its rules run with the others in `validate`.
//!
//! The photo decoder's template is parsed here ([`parse_decoder`]) and the card reader
//! runs what this parser gives, so the check and the kiosk never read it differently.
//! Nothing here uses `crate::card_reader`: the configuration stands on its own (the
//! fuzz targets compile `src/config` without the rest of the kiosk).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rules::{bound_fix, Number, BOUNDS};
use super::validate::Finding;

/// Line speeds GA 467 readers offer (`crate::card_reader::BAUD_RATES` maps them to the
/// SET BAUD parameter; a test there keeps the two lists equal).
pub const CARD_READER_BAUDS: [u32; 5] = [115_200, 57_600, 38_400, 19_200, 9_600];

/// `photo_decoder` taken apart: the program and its arguments, `{in}` and `{out}` still
/// in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// Splits "PROGRAM ARGS… {in} … {out}" on whitespace (no shell, no quoting). A program
/// path with a `/` resolves against `base_dir`; a bare name is looked up in PATH when
/// run. The error says what is missing.
pub fn parse_decoder(template: &str, base_dir: &Path) -> Result<DecoderCommand, &'static str> {
    let mut words = template.split_whitespace().map(str::to_owned);
    let program = words.next().ok_or("is empty")?;
    let args: Vec<String> = words.collect();
    if !args.iter().any(|a| a.contains("{in}")) {
        return Err("has no {in} (the WLT file)");
    }
    if !args.iter().any(|a| a.contains("{out}")) {
        return Err("has no {out} (the picture to write)");
    }
    let program = if program.contains('/') {
        base_dir.join(program)
    } else {
        PathBuf::from(program)
    };
    Ok(DecoderCommand { program, args })
}

impl DecoderCommand {
    /// Whether the program is there and executable; `None` for a bare name (found in
    /// PATH only when run).
    pub fn check_program(&self) -> Option<Result<(), String>> {
        if self.program.components().count() == 1 && self.program.is_relative() {
            return None;
        }
        let shown = self.program.display();
        Some(match std::fs::metadata(&self.program) {
            Err(e) => Err(format!("{shown}: {e}")),
            Ok(m) if !m.is_file() => Err(format!("{shown} is not a file")),
            Ok(m) if m.permissions().mode() & 0o111 == 0 => {
                Err(format!("{shown} is not executable"))
            }
            Ok(_) => Ok(()),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardReaderSection {
    /// Listen for cards while idle. Off by default: most development machines have no
    /// reader, and a kiosk without one should not warn about it all day.
    pub enabled: bool,
    /// The serial device. Not required to exist at check time: USB readers come and go,
    /// and the kiosk shows a missing reader on the clerk panel and keeps looking.
    pub device: PathBuf,
    pub baud: u32,
    pub poll_interval_ms: u64,
    /// Further tries of a command whose answer was missing or corrupted.
    pub retries: u32,
    /// Failed finds in a row after which the card read last counts as taken away.
    pub removal_polls: u32,
    /// "PROGRAM ARGS… {in} … {out}"; empty = no decoder (the chip photo is not used).
    pub photo_decoder: String,
    pub photo_decoder_timeout_secs: u64,
}

impl Default for CardReaderSection {
    fn default() -> Self {
        CardReaderSection {
            enabled: false,
            device: "/dev/ttyUSB0".into(),
            baud: CARD_READER_BAUDS[0],
            poll_interval_ms: 500,
            retries: 2,
            removal_polls: 2,
            photo_decoder: String::new(),
            photo_decoder_timeout_secs: 10,
        }
    }
}

/// Every rule about `[card_reader]`.
pub(super) fn check(c: &CardReaderSection, base_dir: &Path) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut fail = |key: &'static str, message: String, fix: String| {
        found.push(Finding::new(key, message, fix))
    };
    if !CARD_READER_BAUDS.contains(&c.baud) {
        let speeds: Vec<String> = CARD_READER_BAUDS.iter().map(u32::to_string).collect();
        fail(
            "card_reader.baud",
            format!("{} is not a speed ID card readers use", c.baud),
            format!(
                "use one of {} (115200 unless the reader's manual says otherwise)",
                speeds.join(", ")
            ),
        );
    }
    range(
        &mut fail,
        "card_reader.poll_interval_ms",
        c.poll_interval_ms,
    );
    range(&mut fail, "card_reader.retries", c.retries);
    range(&mut fail, "card_reader.removal_polls", c.removal_polls);
    range(
        &mut fail,
        "card_reader.photo_decoder_timeout_secs",
        c.photo_decoder_timeout_secs,
    );

    let device = base_dir.join(&c.device);
    if c.device.as_os_str().is_empty() {
        fail(
            "card_reader.device",
            "the path is empty".into(),
            "set it to the reader's serial device, e.g. \"/dev/ttyUSB0\"".into(),
        );
    } else if let Ok(m) = device.metadata() {
        if m.is_dir() || m.is_file() {
            fail(
                "card_reader.device",
                format!(
                    "\"{}\" is a {}, not a serial device",
                    c.device.display(),
                    if m.is_dir() {
                        "directory"
                    } else {
                        "regular file"
                    }
                ),
                "set it to the reader's device, e.g. \"/dev/ttyUSB0\" or a name under \
                 /dev/serial/by-id/"
                    .into(),
            );
        }
    }

    if !c.photo_decoder.trim().is_empty() {
        let example = "e.g. photo_decoder = \"/opt/vendor/wlt2bmp {in} {out}\", or \"\" for none";
        match parse_decoder(&c.photo_decoder, base_dir) {
            Err(problem) => fail(
                "card_reader.photo_decoder",
                format!("\"{}\" {problem}", c.photo_decoder),
                format!("write the program, then its arguments with {{in}} and {{out}}; {example}"),
            ),
            Ok(decoder) => {
                if let Some(Err(why)) = decoder.check_program() {
                    fail(
                        "card_reader.photo_decoder",
                        format!("the decoder program cannot be run: {why}"),
                        format!(
                            "install the vendor's decoder there (executable), or fix the path; {example}"
                        ),
                    );
                }
            }
        }
    }
    found
}

fn range<T: Number>(
    fail: &mut impl FnMut(&'static str, String, String),
    key: &'static str,
    value: T,
) {
    let &(_, min, max) = BOUNDS
        .iter()
        .find(|(k, ..)| *k == key)
        .expect("every ranged key is in BOUNDS");
    if !(value.as_f64() >= min && value.as_f64() <= max) {
        fail(
            key,
            format!("{value} is out of range"),
            bound_fix(key).unwrap_or_default(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_str, ConfigError};
    use super::*;

    const MINIMAL: &str = "[kiosk]\nid = \"K-1\"\nsite_code = \"110105\"\n";

    /// A directory laid out like an installation (the paths the defaults need exist).
    fn install() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("models")).unwrap();
        std::fs::create_dir_all(dir.path().join("assets/voice")).unwrap();
        dir
    }

    fn problems(dir: &Path, section: &str) -> Vec<(String, usize, usize, String)> {
        let text = format!("{MINIMAL}[card_reader]\n{section}\n");
        match parse_str(&text, &dir.join("kiosk-config.toml")) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid(p)) => p
                .into_iter()
                .map(|p| {
                    (
                        p.key,
                        p.line,
                        p.column,
                        format!("{} — {}", p.message, p.fix),
                    )
                })
                .collect(),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn defaults_are_off_at_115200_without_a_decoder() {
        let c = CardReaderSection::default();
        assert!(!c.enabled);
        assert_eq!(c.baud, 115_200);
        assert!(c.photo_decoder.is_empty());
        let dir = install();
        assert_eq!(
            problems(dir.path(), "enabled = true\ndevice = \"/dev/ttyUSB3\""),
            []
        );
    }

    #[test]
    fn each_rule_reports_its_key_and_line() {
        let dir = install();
        for (line, key, words) in [
            ("baud = 4800", "card_reader.baud", "115200, 57600"),
            (
                "poll_interval_ms = 50",
                "card_reader.poll_interval_ms",
                "200 to 5000",
            ),
            ("retries = 11", "card_reader.retries", "0 to 10"),
            ("removal_polls = 0", "card_reader.removal_polls", "1 to 20"),
            (
                "photo_decoder_timeout_secs = 0",
                "card_reader.photo_decoder_timeout_secs",
                "1 to 60",
            ),
            ("device = \"\"", "card_reader.device", "/dev/ttyUSB0"),
            ("device = \"models\"", "card_reader.device", "directory"),
            (
                "photo_decoder = \"/opt/x/wlt2bmp {out}\"",
                "card_reader.photo_decoder",
                "{in}",
            ),
            (
                "photo_decoder = \"/opt/x/wlt2bmp {in}\"",
                "card_reader.photo_decoder",
                "{out}",
            ),
            (
                "photo_decoder = \"/nonexistent/wlt2bmp {in} {out}\"",
                "card_reader.photo_decoder",
                "cannot be run",
            ),
            ("retries = -1", "card_reader.retries", "0 to 10"),
        ] {
            let found = problems(dir.path(), line);
            assert_eq!(found.len(), 1, "{line}: {found:?}");
            let (k, l, col, text) = &found[0];
            assert_eq!(k, key, "{line}");
            assert_eq!((*l, *col > 0), (5, true), "{line}: on its own line");
            assert!(text.contains(words), "{line}: {text}");
        }
    }

    #[test]
    fn a_decoder_must_be_executable_and_may_be_relative_to_the_file() {
        let dir = install();
        let prog = dir.path().join("wlt2bmp");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap();
        let found = problems(dir.path(), "photo_decoder = \"./wlt2bmp {in} {out}\"");
        assert!(found[0].3.contains("not executable"), "{found:?}");
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            problems(dir.path(), "photo_decoder = \"./wlt2bmp {in} {out}\""),
            []
        );
        assert_eq!(
            problems(dir.path(), "photo_decoder = \"wlt2bmp {in} {out}\""),
            [],
            "a bare name is looked up in PATH when run"
        );
    }
}

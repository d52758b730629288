//! Semantic checks on a deserialised [`Config`]: ranges, cross-field rules and files
//! that must exist. Every rule runs; each failure becomes a [`Finding`] that the caller
//! locates in the file.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use super::install::{LOG_LEVELS, SUPPORTED_LANGUAGES};
use super::rules::{bound_fix, check_url, Number, BOUNDS};
use super::types::CameraSource;
use super::Config;

/// One failed rule, before it is given a file position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// Dotted key the rule is about.
    pub key: Cow<'static, str>,
    /// The array element at fault, when it is one element.
    pub index: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl Finding {
    /// A rule about the whole key (not one array element).
    pub(crate) fn new(
        key: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            key: key.into(),
            index: None,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// The first two digits of GB/T 2260 region codes (provinces, autonomous regions,
/// municipalities, Taiwan, Hong Kong, Macao); anything else is a typo.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// Runs every rule. `base_dir` resolves relative paths for the existence checks.
pub(crate) fn validate(c: &Config, base_dir: &Path) -> Vec<Finding> {
    let mut v = Validator {
        base_dir,
        findings: Vec::new(),
    };
    kiosk(c, &mut v);
    server(c, &mut v);
    devices(c, &mut v);
    policy(c, &mut v);
    v.findings.extend(super::reference_cache::validate(c));
    let rc = &c.reference_cache;
    v.range("reference_cache.max_age_days", rc.max_age_days);
    v.range(
        "reference_cache.refresh_interval_minutes",
        rc.refresh_interval_minutes,
    );
    v.range(
        "reference_cache.download_timeout_secs",
        rc.download_timeout_secs,
    );
    v.findings
        .extend(super::card_reader::check(&c.card_reader, base_dir));
    v.findings.extend(super::paper::check(&c.paper));
    v.findings.extend(super::flash::check(&c.flash));
    // The liveness thresholds check themselves (they know which combinations make a
    // detector never or always fire); the first such problem is reported.
    if let Err(e) = c.liveness.validate() {
        v.fail(
            format!("liveness.{}", e.field),
            e.problem,
            "use a value like the documented default in kiosk-config.toml",
        );
    }
    v.findings
}

struct Validator<'a> {
    base_dir: &'a Path,
    findings: Vec<Finding>,
}

#[derive(Clone, Copy)]
enum Kind {
    Dir,
    File,
    Any,
}

impl Validator<'_> {
    fn fail(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding::new(key, message, fix));
    }

    fn fail_at(&mut self, key: &'static str, index: usize, message: String, fix: String) {
        self.findings.push(Finding {
            key: key.into(),
            index: Some(index),
            message,
            fix,
        });
    }

    fn range<T: Number>(&mut self, key: &'static str, value: T) {
        let &(_, min, max) = BOUNDS
            .iter()
            .find(|(k, ..)| *k == key)
            .expect("every ranged key is in BOUNDS");
        // Written so NaN fails too.
        if !(value.as_f64() >= min && value.as_f64() <= max) {
            self.fail(
                key,
                format!("{value} is out of range"),
                bound_fix(key).unwrap_or_default(),
            );
        }
    }

    /// Checks that a configured path exists as the right kind of thing.
    fn path(&mut self, key: &'static str, path: &Path, kind: Kind, purpose: &str) {
        if path.as_os_str().is_empty() {
            self.fail(key, "the path is empty", format!("set it to {purpose}"));
            return;
        }
        let full = self.base_dir.join(path);
        let shown = path.display();
        match (kind, full.metadata()) {
            (_, Err(_)) => self.fail(
                key,
                format!("\"{shown}\" does not exist (looked for {})", full.display()),
                format!("create it or set {key} to {purpose}"),
            ),
            (Kind::Dir, Ok(m)) if !m.is_dir() => self.fail(
                key,
                format!("\"{shown}\" is not a directory"),
                format!("set {key} to {purpose}"),
            ),
            (Kind::File, Ok(m)) if !m.is_file() => self.fail(
                key,
                format!("\"{shown}\" is not a file"),
                format!("set {key} to {purpose}"),
            ),
            _ => {}
        }
    }
}

fn kiosk(c: &Config, v: &mut Validator) {
    let k = &c.kiosk;
    let id_ok = (1..=32).contains(&k.id.len())
        && k.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if k.id.is_empty() {
        v.fail(
            "kiosk.id",
            "no kiosk id is set",
            "set a name unique to this kiosk, e.g. id = \"OFFICE-01\"",
        );
    } else if !id_ok {
        v.fail(
            "kiosk.id",
            format!("\"{}\" is not a valid kiosk id", k.id),
            "use 1 to 32 characters: letters A-Z or a-z, digits, '-' or '_'",
        );
    }
    let site_fix =
        "set the office's six-digit region code (GB/T 2260), e.g. site_code = \"110105\"";
    if k.site_code.is_empty() {
        v.fail("kiosk.site_code", "no site code is set", site_fix);
    } else if k.site_code.len() != 6 || !k.site_code.bytes().all(|b| b.is_ascii_digit()) {
        v.fail(
            "kiosk.site_code",
            format!("\"{}\" is not six digits", k.site_code),
            site_fix,
        );
    } else if !PROVINCES.contains(&k.site_code[..2].parse().unwrap_or(0)) {
        v.fail(
            "kiosk.site_code",
            format!("\"{}\" does not start with a province code", k.site_code),
            "check the region code: its first two digits name the province, e.g. 11 for Beijing",
        );
    }
    let full = v.base_dir.join(&k.data_dir);
    if k.data_dir.as_os_str().is_empty() {
        v.fail(
            "kiosk.data_dir",
            "the path is empty",
            "set it to a directory for records and logs, e.g. \"data\"",
        );
    } else if full.exists() && !full.is_dir() {
        v.fail(
            "kiosk.data_dir",
            format!("\"{}\" is a file, not a directory", k.data_dir.display()),
            "point it at a directory (it is created if missing) or move the file away",
        );
    }
    // Not required to exist: the kiosk makes the key on first start.
    if let Some(p) = &k.store_key_file {
        if p.as_os_str().is_empty() {
            v.fail(
                "kiosk.store_key_file",
                "the path is empty",
                "remove the line to use <data_dir>/store.key",
            );
        } else if v.base_dir.join(p).is_dir() {
            v.fail(
                "kiosk.store_key_file",
                format!("\"{}\" is a directory", p.display()),
                "name the key file itself, e.g. \"/etc/certpoint/store.key\"",
            );
        }
    }
}

fn server(c: &Config, v: &mut Validator) {
    let s = &c.server;
    if !s.url.is_empty() {
        if let Err((message, fix)) = check_url(&s.url) {
            v.fail("server.url", message, fix);
        }
    }
    if !s.token.is_empty() && s.token_file.is_some() {
        v.fail(
            "server.token_file",
            "both server.token and server.token_file are set",
            "keep one of them; token_file keeps the secret out of this file",
        );
    }
    if let Some(p) = &s.token_file {
        v.path(
            "server.token_file",
            p,
            Kind::File,
            "the file that holds the kiosk's API token",
        );
    }
    if let Some(p) = &s.ca_bundle {
        v.path(
            "server.ca_bundle",
            p,
            Kind::File,
            "a PEM file of CA certificates, or remove the line",
        );
    }
    if s.signing_key
        .as_ref()
        .is_some_and(|p| p.as_os_str().is_empty())
    {
        v.fail(
            "server.signing_key",
            "the path is empty",
            "remove the line to use <data_dir>/kiosk.key",
        );
    }
    v.range("server.request_timeout_secs", s.request_timeout_secs);
}

fn devices(c: &Config, v: &mut Validator) {
    let cam = &c.camera;
    if let CameraSource::Replay(p) = &cam.source {
        v.path(
            "camera.source",
            p,
            Kind::Any,
            "\"file:\" followed by a directory of recorded frames",
        );
    }
    v.range("camera.width", cam.width);
    v.range("camera.height", cam.height);
    v.range("camera.fps", cam.fps);
    v.range("camera.replay_fps", cam.replay_fps);

    v.path(
        "models.dir",
        &c.models.dir,
        Kind::Dir,
        "the directory that holds the model files",
    );
    v.range("models.intra_threads", c.models.intra_threads);
    if let Some(p) = &c.models.runtime_library {
        v.path(
            "models.runtime_library",
            p,
            Kind::File,
            "the libonnxruntime.so.1.23.2 file (scripts/fetch-onnxruntime prints its path), or remove the line",
        );
    }

    if c.voice.enabled {
        v.path(
            "voice.dir",
            &c.voice.dir,
            Kind::Dir,
            "the voice prompt directory, or set voice.enabled = false",
        );
    }
    v.range("voice.volume", c.voice.volume);
    if !super::VOICE_SPEAKERS.contains(&c.voice.speaker.as_str()) {
        v.fail(
            "voice.speaker",
            format!("\"{}\" is not a speaker", c.voice.speaker),
            format!("use one of: {}", super::VOICE_SPEAKERS.join(", ")),
        );
    }

    let ui = &c.ui;
    let supported = SUPPORTED_LANGUAGES.join(", ");
    if !SUPPORTED_LANGUAGES.contains(&ui.language.as_str()) {
        v.fail(
            "ui.language",
            format!("\"{}\" is not a supported language", ui.language),
            format!("use one of: {supported}"),
        );
    }
    if ui.languages.is_empty() {
        v.fail(
            "ui.languages",
            "the list is empty",
            format!("list the languages to offer, from: {supported}"),
        );
    }
    let mut seen = HashSet::new();
    for (i, lang) in ui.languages.iter().enumerate() {
        if !SUPPORTED_LANGUAGES.contains(&lang.as_str()) {
            v.fail_at(
                "ui.languages",
                i,
                format!("\"{lang}\" is not a supported language"),
                format!("use only: {supported}"),
            );
        } else if !seen.insert(lang) {
            v.fail_at(
                "ui.languages",
                i,
                format!("\"{lang}\" is listed twice"),
                "remove the repeated entry".into(),
            );
        }
    }
    // An unsupported start language is already reported; "add it to the list" would
    // be wrong advice.
    let language_ok = SUPPORTED_LANGUAGES.contains(&ui.language.as_str());
    if language_ok && !ui.languages.is_empty() && !ui.languages.contains(&ui.language) {
        v.fail(
            "ui.languages",
            format!(
                "the start language \"{}\" (ui.language) is not in the list",
                ui.language
            ),
            format!(
                "add \"{}\" to ui.languages or change ui.language",
                ui.language
            ),
        );
    }

    v.range("retention.days", c.retention.days);
    if !LOG_LEVELS.contains(&c.logging.level.as_str()) {
        v.fail(
            "logging.level",
            format!("\"{}\" is not a log level", c.logging.level),
            format!("use one of: {}", LOG_LEVELS.join(", ")),
        );
    }
    v.range("logging.file_max_files", c.logging.file_max_files);
}

fn policy(c: &Config, v: &mut Validator) {
    let d = &c.depth_check;
    v.range("depth_check.threshold", d.threshold);
    v.range("depth_check.min_yaw_deg", d.min_yaw_deg);
    // The frontal reference may sit up to 4° off rest: a turn that completes at
    // turn_deg must still reach min_yaw_deg from it, or a real turn measures nothing.
    if d.enabled && d.min_yaw_deg.is_finite() && d.min_yaw_deg > c.liveness.turn_deg - 4.0 {
        v.fail(
            "depth_check.min_yaw_deg",
            format!(
                "{} is more than liveness.turn_deg ({}) minus 4: a completed turn might not reach it",
                d.min_yaw_deg, c.liveness.turn_deg
            ),
            format!(
                "use at most {} or raise liveness.turn_deg",
                c.liveness.turn_deg - 4.0
            ),
        );
    }
    let t = &c.thresholds;
    v.range("thresholds.face_match", t.face_match);
    v.range("thresholds.passive_liveness", t.passive_liveness);
    v.range("thresholds.face_size_min", t.face_size_min);
    v.range("thresholds.face_size_max", t.face_size_max);
    if t.face_size_max <= t.face_size_min {
        v.fail(
            "thresholds.face_size_max",
            format!(
                "{} is not above face_size_min ({})",
                t.face_size_max, t.face_size_min
            ),
            "make face_size_max larger than face_size_min",
        );
    }
    v.range("thresholds.min_brightness", t.min_brightness);
    v.range("thresholds.max_brightness", t.max_brightness);
    if t.max_brightness <= t.min_brightness {
        v.fail(
            "thresholds.max_brightness",
            format!(
                "{} is not above min_brightness ({})",
                t.max_brightness, t.min_brightness
            ),
            "make max_brightness larger than min_brightness",
        );
    }
    v.range("thresholds.min_sharpness", t.min_sharpness);
    v.range("thresholds.max_yaw_deg", t.max_yaw_deg);

    let ch = &c.challenges;
    let names = certpoint_protocol::Action::ALL
        .map(|a| a.as_str())
        .join(", ");
    if ch.set.is_empty() {
        v.fail(
            "challenges.set",
            "no challenge actions are listed",
            format!("list at least one of: {names}"),
        );
    }
    let mut seen = HashSet::new();
    for (i, action) in ch.set.iter().enumerate() {
        if !seen.insert(action) {
            v.fail_at(
                "challenges.set",
                i,
                format!("\"{action}\" is listed twice"),
                "remove the repeated entry".into(),
            );
        }
    }
    let distinct = seen.len();
    if distinct > 0 && !(1..=distinct).contains(&ch.count) {
        v.fail(
            "challenges.count",
            format!("{} is out of range", ch.count),
            format!("use a value from 1 to {distinct} (the number of actions in challenges.set)"),
        );
    } else if distinct == 0 {
        v.range("challenges.count", ch.count);
    }
    v.range("challenges.timeout_secs", ch.timeout_secs);

    let f = &c.flow;
    v.range("flow.max_attempts", f.max_attempts);
    v.range("flow.positioning_timeout_secs", f.positioning_timeout_secs);
    v.range("flow.reference_timeout_secs", f.reference_timeout_secs);
    v.range("flow.matching_timeout_secs", f.matching_timeout_secs);
    v.range("flow.result_display_secs", f.result_display_secs);
    v.range("flow.min_pension_age", f.min_pension_age);
    v.range("flow.voice_repeat_secs", f.voice_repeat_secs);

    v.range("clerk.max_pin_attempts", c.clerk.max_pin_attempts);
    v.range("clerk.lockout_minutes", c.clerk.lockout_minutes);
}

//! The string catalogues: one per language, every text the screens show or the voice
//! says, keyed by [`Prompt::key`](crate::flow::Prompt::key) and the screens' own keys.
//!
//! The catalogues are TOML files under `assets/i18n/` compiled into the binary, so a
//! kiosk cannot start with a missing translation; a unit test checks that every
//! language has exactly the same keys and a text for every prompt the flow can ask.
//! Placeholders are `{name}`, filled by [`Catalogue::fill`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use certpoint_protocol::Action;

use crate::flow::{EndReason, Placement, Prompt};

/// Languages with a catalogue, as written in `[ui] language`. `mn` is Mongolian in the
/// traditional script (machine-drafted, awaiting a native reader's review: README).
pub const LANGUAGES: [&str; 3] = ["zh-CN", "en", "mn"];

/// The Mongolian catalogue's code.
pub const MONGOLIAN: &str = "mn";

const SOURCES: [(&str, &str); 3] = [
    ("zh-CN", include_str!("../../assets/i18n/zh-CN.toml")),
    ("en", include_str!("../../assets/i18n/en.toml")),
    ("mn", include_str!("../../assets/i18n/mn.toml")),
];

/// One language's texts.
#[derive(Debug)]
pub struct Catalogue {
    pub lang: &'static str,
    texts: BTreeMap<String, String>,
}

impl Catalogue {
    /// The catalogue of `lang`, or of zh-CN when there is none (config validation
    /// already refuses unknown languages, so this is only a safety net).
    pub fn get(lang: &str) -> &'static Catalogue {
        let all = all();
        all.iter().find(|c| c.lang == lang).unwrap_or(&all[0])
    }

    /// The text of `key`. A missing key shows the key itself, visibly wrong but never a
    /// crash (the tests keep it from happening).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text of `key` with `{name}` placeholders replaced.
    pub fn fill(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), &value.to_string());
        }
        s
    }

    /// A day as this language writes it ("6月30日", "30 June").
    pub fn date(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        self.fill(
            "detail.date_format",
            &[
                ("d", &d.day()),
                ("m", &d.month()),
                ("month", &d.format("%B")),
            ],
        )
    }

    /// A month as this language writes it ("7月", "July").
    pub fn month(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        self.fill(
            "detail.month_format",
            &[("m", &d.month()), ("month", &d.format("%B"))],
        )
    }

    /// Written in vertical columns (the traditional Mongolian script): the screens draw
    /// this language's texts with `ui::mongolian`, never as egui labels.
    pub fn vertical(&self) -> bool {
        self.lang == MONGOLIAN
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.texts.keys().map(String::as_str)
    }

    /// Every character of every text (for the font subset check).
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        self.texts.values().flat_map(|v| v.chars())
    }
}

pub fn all() -> &'static [Catalogue] {
    static ALL: OnceLock<Vec<Catalogue>> = OnceLock::new();
    ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, src)| Catalogue {
                lang,
                texts: toml::from_str(src)
                    .unwrap_or_else(|e| panic!("assets/i18n/{lang}.toml: {e}")),
            })
            .collect()
    })
}

/// Every prompt the flow can produce (for the catalogue and voice-pack checks).
pub fn every_prompt() -> Vec<Prompt> {
    let mut v = vec![
        Prompt::HandIdToClerk,
        Prompt::Welcome,
        Prompt::PleaseWait,
        Prompt::LookAtScreen,
        Prompt::TryAgain,
        Prompt::HoldStill,
        Prompt::FlashNotice,
        Prompt::Checking,
        Prompt::Passed,
        Prompt::PendingMatch,
        Prompt::SeeClerk,
        Prompt::AlreadyCertified,
        Prompt::CameraProblem,
        Prompt::OutsideWindow,
    ];
    v.extend(Placement::ALL.iter().map(|p| Prompt::Hint(*p)));
    v.extend(Action::ALL.iter().map(|a| Prompt::Challenge(*a)));
    for r in [
        EndReason::ClerkCancelled,
        EndReason::CameraLost,
        EndReason::PositioningTimeout,
        EndReason::ChallengeTimeout(Action::Blink),
        EndReason::FaceLost,
        EndReason::MultipleFaces,
        EndReason::PassiveLiveness,
        EndReason::PassiveLivenessUnavailable,
        EndReason::FaceMatchBelowThreshold,
        EndReason::MatchUnavailable,
        EndReason::ScreenFlash,
        EndReason::ScreenFlashUnavailable,
    ] {
        v.push(Prompt::Failed(r));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_same_keys() {
        let zh: Vec<&str> = Catalogue::get("zh-CN").keys().collect();
        for c in all() {
            let keys: Vec<&str> = c.keys().collect();
            assert_eq!(keys, zh, "{} differs from zh-CN", c.lang);
        }
        assert_eq!(all().len(), LANGUAGES.len());
    }

    #[test]
    fn every_prompt_has_a_text() {
        for c in all() {
            for p in every_prompt() {
                let key = p.key();
                assert_ne!(c.t(&key), key, "{}: no text for {key}", c.lang);
            }
        }
    }

    /// Every text has the same `{placeholders}` as its zh-CN original, so filled
    /// numbers, dates and masked ID numbers show in every language.
    #[test]
    fn every_language_has_the_same_placeholders() {
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            v.sort();
            v
        };
        let zh = Catalogue::get("zh-CN");
        for c in all() {
            // The date formats choose among the fields offered (`{m}` or `{month}`).
            for key in zh.keys().filter(|k| !k.ends_with("_format")) {
                assert_eq!(names(c.t(key)), names(zh.t(key)), "{}: {key}", c.lang);
            }
        }
    }

    /// The Mongolian catalogue is in the traditional script (not Cyrillic, not a
    /// romanisation left behind) and fills numbers and dates.
    #[test]
    fn mongolian_is_in_the_traditional_script() {
        let mn = Catalogue::get("mn");
        assert!(mn.vertical() && !Catalogue::get("zh-CN").vertical());
        for key in mn.keys() {
            let text = mn.t(key);
            let latin: String = text
                .split('{')
                .enumerate()
                .map(|(i, p)| {
                    if i == 0 {
                        p
                    } else {
                        p.split_once('}').map_or(p, |(_, r)| r)
                    }
                })
                .collect::<String>()
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .collect();
            let allowed = ["certpointclerkadd", "pendingmatch", "Enter", "ms"];
            assert!(
                crate::ui::mongolian::has_mongolian(text)
                    && (latin.is_empty() || allowed.iter().any(|a| latin.starts_with(a))),
                "mn {key}: {text}"
            );
        }
        let filled = mn.fill("detail.challenge_step", &[("n", &2), ("total", &3)]);
        assert!(filled.contains('2') && filled.contains('3'), "{filled}");
        let day = mn.date(chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        assert!(day.contains("6") && day.contains("30"), "{day}");
    }

    #[test]
    fn placeholders_fill() {
        let c = Catalogue::get("en");
        assert_eq!(
            c.fill("detail.challenge_step", &[("n", &2), ("total", &3)]),
            "Step 2 of 3"
        );
        assert_eq!(Catalogue::get("xx").lang, "zh-CN");
    }
}

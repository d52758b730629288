//! The back office's words: one TOML catalogue per language, the kiosk's approach
//! (`assets/i18n`), Simplified Chinese first and the default, English second. Both
//! files have the same keys (tested); a key missing at run time shows as itself.

use std::collections::HashMap;
use std::sync::OnceLock;

const ZH: &str = include_str!("../../assets/i18n/zh-CN.toml");
const EN: &str = include_str!("../../assets/i18n/en.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// From the language cookie; anything else is the default, Chinese.
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The text of `prefix.value`, or `value` itself when the catalogue has none (a
    /// code the catalogue does not know yet, such as a new reason).
    pub fn code_text(self, prefix: &str, value: &str) -> String {
        self.table()
            .get(&format!("{prefix}.{value}"))
            .cloned()
            .unwrap_or_else(|| value.to_owned())
    }

    fn table(self) -> &'static HashMap<String, String> {
        static ZH_T: OnceLock<HashMap<String, String>> = OnceLock::new();
        static EN_T: OnceLock<HashMap<String, String>> = OnceLock::new();
        match self {
            Lang::Zh => ZH_T.get_or_init(|| parse(ZH)),
            Lang::En => EN_T.get_or_init(|| parse(EN)),
        }
    }

    /// The text of `key`.
    pub fn t(self, key: &str) -> String {
        self.table()
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }
}

fn parse(text: &str) -> HashMap<String, String> {
    let table: toml::Table = text.parse().expect("the built-in catalogue is valid TOML");
    table
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let mut zh: Vec<_> = parse(ZH).into_keys().collect();
        let mut en: Vec<_> = parse(EN).into_keys().collect();
        zh.sort();
        en.sort();
        assert_eq!(zh, en);
        assert!(zh.len() > 40);
        assert_eq!(Lang::from_code(None), Lang::Zh);
        assert_eq!(Lang::En.t("no.such.key"), "no.such.key");
    }
}

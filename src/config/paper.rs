//! `[paper]`: what the kiosk prints (the Certificate of Assistance and the receipt
//! slip, `crate::paper`) and where to. Its rules run with the others in `validate`.
//!
//! Printing goes through CUPS: `lp -d <printer> <file>`. The printer name is checked
//! here so that what reaches `lp` is a queue name, never an option (`-o …`) or a path.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::validate::Finding;

/// Longest office name printed in a certificate's heading, in characters.
pub const OFFICE_NAME_MAX: usize = 40;
/// Receipt slip sizes: roll paper 80 mm wide (thermal receipt printers) or A6.
pub const RECEIPT_SIZES: [&str; 2] = ["80mm", "a6"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperSection {
    /// The office's name, at the head of every certificate and receipt.
    pub office_name: String,
    /// CUPS queue for `lp -d`; empty = no printer (papers are saved and shown).
    pub printer: String,
    /// Where papers are saved; empty = `<data_dir>/paper`.
    pub output_dir: PathBuf,
    /// `"80mm"` or `"a6"`.
    pub receipt_size: String,
    /// The `lp` program (a path or a name on PATH).
    pub lp_command: String,
}

impl Default for PaperSection {
    fn default() -> Self {
        PaperSection {
            office_name: String::new(),
            printer: String::new(),
            output_dir: PathBuf::new(),
            receipt_size: RECEIPT_SIZES[0].to_owned(),
            lp_command: "lp".to_owned(),
        }
    }
}

/// CUPS accepts printable characters except space, tab, `/`, `\`, `#`, `'` and `"` in a
/// queue name (at most 127); a leading `-` would make `lp` read an option.
pub fn is_printer_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 127
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '\\' | '#' | '\'' | '"'))
}

/// Every rule about `[paper]`.
pub(super) fn check(c: &PaperSection) -> Vec<Finding> {
    let mut found = Vec::new();
    let mut fail =
        |key: &'static str, message: String, fix: &str| found.push(Finding::new(key, message, fix));
    let name = c.office_name.trim();
    if name.chars().count() > OFFICE_NAME_MAX || name.chars().any(char::is_control) {
        fail(
            "paper.office_name",
            format!(
                "the office name must be one line of at most {OFFICE_NAME_MAX} characters ({} given)",
                name.chars().count()
            ),
            "write the office's short official name, e.g. \"朝阳区社会保险事业管理中心\"",
        );
    }
    if !c.printer.is_empty() && !is_printer_name(&c.printer) {
        fail(
            "paper.printer",
            format!("{:?} is not a CUPS printer name", c.printer),
            "write the queue name `lpstat -p` lists (no spaces, /, #, quotes, not starting with -), or \"\" to save papers without printing",
        );
    }
    if !RECEIPT_SIZES.contains(&c.receipt_size.as_str()) {
        fail(
            "paper.receipt_size",
            format!("{:?} is not a receipt size", c.receipt_size),
            "use \"80mm\" (receipt roll) or \"a6\"",
        );
    }
    if c.lp_command.trim().is_empty() || c.lp_command.starts_with('-') {
        fail(
            "paper.lp_command",
            format!("{:?} cannot be run", c.lp_command),
            "use \"lp\" (CUPS) or the full path of lp",
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::{parse_str, ConfigError};

    const MINIMAL: &str = "[kiosk]\nid = \"K-1\"\nsite_code = \"110105\"\n";

    fn problems(section: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("models")).unwrap();
        std::fs::create_dir_all(dir.path().join("assets/voice")).unwrap();
        let text = format!("{MINIMAL}[paper]\n{section}\n");
        match parse_str(&text, &dir.path().join("kiosk-config.toml")) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid(p)) => p
                .into_iter()
                .map(|p| format!("{} line {}: {} — {}", p.key, p.line, p.message, p.fix))
                .collect(),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_named_printer_and_office_load() {
        assert_eq!(
            problems("office_name = \"朝阳区社会保险事业管理中心\"\nprinter = \"Office_HP-1\"\nreceipt_size = \"a6\""),
            Vec::<String>::new()
        );
        assert_eq!(problems(""), Vec::<String>::new());
    }

    #[test]
    fn bad_values_name_the_key_and_the_fix() {
        for (line, key, fix) in [
            ("printer = \"-o evil\"", "paper.printer", "lpstat"),
            ("printer = \"my printer\"", "paper.printer", "lpstat"),
            ("printer = \"a/b\"", "paper.printer", "lpstat"),
            ("receipt_size = \"a4\"", "paper.receipt_size", "80mm"),
            ("lp_command = \"\"", "paper.lp_command", "lp"),
            ("office_name = \"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一\"", "paper.office_name", "short"),
        ] {
            let p = problems(line);
            assert_eq!(p.len(), 1, "{line}: {p:?}");
            assert!(p[0].starts_with(key) && p[0].contains(fix), "{line}: {p:?}");
            assert!(p[0].contains("line 5"), "{line}: {p:?}");
        }
    }
}

//! Turning TOML text into a [`Config`], collecting every structural problem (syntax,
//! unknown keys, wrong types, unparseable values) instead of stopping at the first.
//!
//! serde stops at its first error, so: deserialise; on an error find the key it is
//! about, record the problem, delete that key from an editable copy of the document so
//! its default applies, and try again. Each round removes one key, so the loop ends.

use std::path::Path;

use toml_edit::Document;

use super::locate::{self, SpanIndex};
use super::rules;
use super::types::ValueError;
use super::{Config, Problem};

/// A generous bound in case a serde error ever maps to a key whose removal does not
/// change the next error; no real file has this many keys.
const MAX_ROUNDS: usize = 500;

/// The outcome of the structural pass.
pub(crate) struct Parsed {
    /// `None` when the text could not be deserialised at all (a syntax error).
    pub config: Option<Config>,
    pub problems: Vec<Problem>,
    /// Key positions in the original text, for locating later problems.
    pub index: SpanIndex,
    /// Keys already reported and replaced by their defaults; semantic checks on them
    /// would only be about the default, so they are skipped.
    pub replaced: Vec<Vec<String>>,
}

pub(crate) fn parse(text: &str, file: &Path) -> Parsed {
    let problem = |offset: usize, key: String, message: String, fix: String| {
        let (line, column) = locate::line_col(text, offset);
        Problem {
            file: file.to_owned(),
            line,
            column,
            key,
            message,
            fix,
        }
    };
    let original = match Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let fix = syntax_fix(e.message());
            return Parsed {
                config: None,
                problems: vec![problem(offset, String::new(), e.message().to_owned(), fix)],
                index: SpanIndex::default(),
                replaced: Vec::new(),
            };
        }
    };
    let index = SpanIndex::new(&original);
    let defaults = toml::Value::try_from(Config::default()).ok();
    let mut problems = Vec::new();
    let mut replaced = Vec::new();
    let mut current = text.to_owned();

    let config = 'rounds: {
        for _ in 0..MAX_ROUNDS {
            let err = match toml::from_str::<Config>(&current) {
                Ok(config) => break 'rounds Some(config),
                Err(err) => err,
            };
            let doc = Document::parse(current.as_str()).ok();
            let hit = doc.as_ref().and_then(|doc| {
                let index = SpanIndex::new(doc);
                let (entry, part) = index.at(err.span()?.start)?;
                Some((entry.clone(), part))
            });
            let Some((entry, part)) = hit else {
                // Not attributable to a key: report it once, where it is if the text
                // is still the original, and stop.
                let offset = match err.span() {
                    Some(s) if replaced.is_empty() => s.start,
                    _ => 0,
                };
                let (message, fix) = (err.message().to_owned(), "correct this part of the file");
                problems.push(problem(offset, String::new(), message, fix.to_owned()));
                break 'rounds None;
            };
            let offset = index.offset_of(&entry.path, part).unwrap_or(0);
            let (message, fix) = describe(err.message(), &entry, defaults.as_ref());
            problems.push(problem(offset, entry.dotted(), message, fix));

            let mut doc = doc.expect("a hit implies a parsed document").into_mut();
            if !locate::remove(&mut doc, &entry.path) {
                break 'rounds None;
            }
            replaced.push(entry.path);
            current = doc.to_string();
        }
        None
    };
    Parsed {
        config,
        problems,
        index,
        replaced,
    }
}

/// A hint for the most common TOML mistakes an administrator makes by hand.
fn syntax_fix(message: &str) -> String {
    let fix = if message.contains("duplicate key") {
        "each key may appear only once in a section; delete one of them"
    } else if message.contains("invalid table header") || message.contains("unclosed table") {
        "write a section header on its own line as [name], e.g. [camera]"
    } else if message.contains("invalid basic string") || message.contains("invalid literal string")
    {
        "close the text with a quote on the same line it starts"
    } else if message.contains("key with no value") {
        "write the key as `key = value`"
    } else if message.contains("string") || message.contains("invalid unquoted key") {
        "put text values in double quotes, e.g. id = \"DEV-KIOSK-01\""
    } else {
        "fix the TOML syntax here: one `key = value` per line, text in \"double quotes\", sections as [name]"
    };
    fix.to_owned()
}

/// Rewrites a serde message about `entry` as a message and a fix for an administrator.
fn describe(
    serde_message: &str,
    entry: &locate::Entry,
    defaults: Option<&toml::Value>,
) -> (String, String) {
    if let Some(parts) = ValueError::split(serde_message) {
        return parts;
    }
    let quoted = backticked(serde_message);
    let name = entry.path.last().map(String::as_str).unwrap_or_default();
    let example = defaults.and_then(|d| example(d, &entry.path));
    let section = match entry.path.len() {
        0 | 1 => None,
        n => Some(entry.path[..n - 1].join(".")),
    };

    if serde_message.starts_with("unknown field") {
        if let Some((message, fix)) = retired(&entry.path.join(".")) {
            return (message.to_owned(), fix.to_owned());
        }
        let valid = &quoted[1.min(quoted.len())..];
        let (message, listed) = match &section {
            None if entry.value_is_table => (format!("unknown section [{name}]"), bracketed(valid)),
            None => (
                format!("unknown key `{name}` outside any section"),
                bracketed(valid),
            ),
            Some(s) => (format!("unknown key `{name}` in [{s}]"), valid.join(", ")),
        };
        let fix = match (closest(name, valid), &section) {
            (Some(c), None) => format!("did you mean [{c}]? The sections are {listed}"),
            (Some(c), Some(_)) => format!("did you mean `{c}`? Valid keys here: {listed}"),
            (None, None) if entry.value_is_table => {
                format!("remove it or rename it; the sections are {listed}")
            }
            (None, None) => format!("move it under its section header, one of {listed}"),
            (None, Some(_)) => format!("remove it or rename it; valid keys here: {listed}"),
        };
        return (message, fix);
    }
    if serde_message.starts_with("unknown variant") {
        let given = quoted.first().cloned().unwrap_or_default();
        let valid = &quoted[1.min(quoted.len())..];
        let what = if entry.path == ["challenges", "set"] {
            "a challenge action"
        } else {
            "an accepted value"
        };
        let hint = closest(&given, valid)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return (
            format!("`{given}` is not {what}"),
            format!("{hint}use one of: {}", valid.join(", ")),
        );
    }
    if let Some(rest) = serde_message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let expected = human_type(expected);
        let fix = match example {
            Some(ex) => format!("write {expected}, e.g. {ex}"),
            None if expected.starts_with("a section") => format!(
                "write it as a section: [{}] on its own line, then its keys",
                entry.dotted()
            ),
            None => format!("write {expected}"),
        };
        return (
            format!("expected {expected}, found {}", human_found(found)),
            fix,
        );
    }
    if serde_message.starts_with("invalid value: integer") {
        let value = quoted.first().cloned().unwrap_or_default();
        let fix = rules::bound_fix(&entry.dotted())
            .unwrap_or_else(|| "use a whole number of 0 or more".to_owned());
        return (format!("{value} is out of range"), fix);
    }
    let fix = match example {
        Some(ex) => {
            format!("correct the value (the default is {ex}) or delete the line to use the default")
        }
        None => "correct the value or delete the line".to_owned(),
    };
    (serde_message.to_owned(), fix)
}

/// The names serde quotes in backticks, in order.
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn bracketed(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("[{n}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The default written as the line to put in the file, e.g. `count = 3`.
fn example(defaults: &toml::Value, path: &[String]) -> Option<String> {
    let value = path.iter().try_fold(defaults, |v, k| v.get(k))?;
    let shown = match value {
        toml::Value::Table(_) => return None,
        // The defaults are f32; through f64 they would print as 0.550000011920929.
        toml::Value::Float(f) => (*f as f32).to_string(),
        other => other.to_string(),
    };
    Some(format!("{} = {shown}", path.last()?))
}

fn human_type(expected: &str) -> String {
    let s = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" => "text in double quotes",
        "path string" => "a path in double quotes",
        "a sequence" => "a list in [brackets]",
        "variant identifier" => "a name in double quotes",
        e if e.starts_with("struct ") => "a section (a table)",
        e => e,
    };
    s.to_owned()
}

fn human_found(found: &str) -> String {
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "a list".to_owned(),
        f => f.to_owned(),
    }
}

/// The valid name closest to a misspelt one, if it is close enough to be a typo.
fn closest<'a>(given: &str, valid: &'a [String]) -> Option<&'a str> {
    let given = given.to_lowercase();
    valid
        .iter()
        .map(|v| (edit_distance(&given, v), v))
        .filter(|(d, v)| *d <= (v.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v.as_str())
}

/// Levenshtein distance with adjacent transpositions counted as one edit, since a
/// swapped pair of letters is the commonest typo.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Keys an earlier release accepted and this one refuses on purpose: say why and what
/// to write instead, rather than "unknown key".
fn retired(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "server.allow_plain_http" => Some((
            "server.allow_plain_http was removed: records leave the kiosk only over TLS \
             with the server's certificate checked",
            "delete the line; use an https:// server.url (and server.ca_bundle for a private \
             CA), or plain http only to a server on this machine",
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("camra", "camera"), 1);
        assert_eq!(edit_distance("resolutoin", "resolution"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn closest_suggests_only_plausible_typos() {
        let valid: Vec<String> = ["width", "height", "fps"].map(String::from).to_vec();
        assert_eq!(closest("widht", &valid), Some("width"));
        assert_eq!(closest("Height", &valid), Some("height"));
        assert_eq!(closest("resolution", &valid), None);
    }

    #[test]
    fn syntax_error_is_reported_once_with_its_position() {
        let parsed = parse(
            "[kiosk]\nid = \"A\"\nsite_code = 110105\n[camera\n",
            Path::new("k.toml"),
        );
        assert!(parsed.config.is_none());
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(parsed.problems[0].line, 4);
    }

    #[test]
    fn structural_problems_are_all_collected() {
        let text =
            "[camera]\nwidht = 3\nfps = \"fast\"\n[flow]\nmax_attempts = -1\n[ui]\nwindowed = 1\n";
        let parsed = parse(text, Path::new("k.toml"));
        // serde visits a table's keys in its own order, not the file's.
        let mut got: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| (p.line, p.column, p.key.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                (2, 1, "camera.widht"),
                (3, 7, "camera.fps"),
                (5, 16, "flow.max_attempts"),
                (7, 12, "ui.windowed")
            ]
        );
        let fix = |key: &str| {
            parsed
                .problems
                .iter()
                .find(|p| p.key == key)
                .unwrap()
                .fix
                .clone()
        };
        assert!(fix("camera.widht").contains("did you mean `width`?"));
        assert!(fix("camera.fps").contains("fps = 30"));
        assert!(fix("ui.windowed").contains("true or false"));
        assert_eq!(parsed.config.unwrap().camera.fps, 30);
    }
}

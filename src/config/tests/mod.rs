//! Loading as the kiosk does, through [`parse_str`]: defaults, problem reporting and
//! positions, path resolution, and the check that the documented defaults in
//! `kiosk-config.toml` are the code's defaults. One test per validation rule is in
//! `rules.rs`.

mod flash;
mod reference_cache;
mod rules;
mod standalone;

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use super::*;

const MINIMAL: &str = "[kiosk]\nid = \"K-1\"\nsite_code = \"110105\"\n";

/// A directory laid out like an installation: the paths the defaults require exist.
fn install() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("models")).unwrap();
    fs::create_dir_all(dir.path().join("assets/voice")).unwrap();
    dir
}

fn parse_in(dir: &Path, text: &str) -> Result<LoadedConfig, Vec<Problem>> {
    parse_str(text, &dir.join("kiosk-config.toml")).map_err(|e| match e {
        ConfigError::Invalid(p) => p,
        other => panic!("{other}"),
    })
}

fn ok(text: &str) -> Config {
    let dir = install();
    match parse_in(dir.path(), text) {
        Ok(loaded) => loaded.config,
        Err(problems) => panic!("unexpected problems:\n{}", list(&problems)),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    parse_in(install().path(), text).expect_err("expected problems")
}

/// The single problem `text` has, which must be about `key`.
fn one(text: &str, key: &str) -> Problem {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{}", list(&found));
    assert_eq!(found[0].key, key, "{}", found[0]);
    assert!(!found[0].message.is_empty() && !found[0].fix.is_empty());
    found.into_iter().next().unwrap()
}

fn with(section: &str, line: &str) -> String {
    format!("{MINIMAL}[{section}]\n{line}\n")
}

#[test]
fn a_replaced_key_is_reported_once() {
    // The wrong type is reported; the default that replaces it is then in range, and
    // no second problem appears about the same key.
    let p = one(&with("challenges", "count = \"three\""), "challenges.count");
    assert!(p.message.contains("whole number"), "{p}");
    assert!(p.fix.contains("count = 3"), "{p}");
}

#[test]
fn misspelt_section_gets_a_suggestion() {
    let p = one(&format!("{MINIMAL}[camra]\nwidth = 640\n"), "camra");
    assert_eq!(p.message, "unknown section [camra]");
    assert!(p.fix.starts_with("did you mean [camera]?"), "{p}");
}

#[test]
fn key_before_any_section_is_told_to_move() {
    let p = one(&format!("port = 8080\n{MINIMAL}"), "port");
    assert_eq!(p.message, "unknown key `port` outside any section");
    assert!(p.fix.starts_with("move it under its section header"), "{p}");
}

#[test]
fn problem_display_names_file_line_column_key_and_fix() {
    let p = one(&with("challenges", "count = 9"), "challenges.count");
    let shown = p.to_string();
    assert!(shown.ends_with("kiosk-config.toml:5:9: challenges.count: 9 is out of range — use a value from 1 to 4 (the number of actions in challenges.set)"), "{shown}");
}

#[test]
fn problems_come_in_file_order() {
    let text = format!(
        "{MINIMAL}[flow]\nmax_attempts = 0\n[camera]\nwidth = \"wide\"\n[ui]\nlanguage = \"fr\"\n"
    );
    let lines: Vec<usize> = problems(&text).iter().map(|p| p.line).collect();
    assert_eq!(lines, [5, 7, 9]);
}

#[test]
fn paths_resolve_against_the_file() {
    let dir = install();
    let loaded = parse_in(dir.path(), MINIMAL).unwrap();
    assert_eq!(loaded.base_dir, dir.path());
    assert_eq!(loaded.data_dir(), dir.path().join("data"));
    assert_eq!(loaded.signing_key_path(), dir.path().join("data/kiosk.key"));
    assert_eq!(loaded.store_key_path(), dir.path().join("data/store.key"));
    assert_eq!(loaded.path_of(Path::new("/abs/x")), Path::new("/abs/x"));
}

/// Uncommenting every `# key = value` line of the shipped file must change nothing:
/// the documented defaults are the code's defaults.
#[test]
fn documented_defaults_match_the_code() {
    let shipped =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("kiosk-config.toml"))
            .unwrap();
    let is_default_line = |l: &str| {
        l.strip_prefix("# ")
            .and_then(|rest| rest.split_once(" = "))
            .is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
    };
    let uncommented: String = shipped
        .lines()
        .map(|l| if is_default_line(l) { &l[2..] } else { l })
        .flat_map(|l| [l, "\n"])
        .collect();
    assert!(uncommented != shipped, "no documented defaults found");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let load = |text: &str| match parse_in(dir, text) {
        Ok(loaded) => loaded.config,
        Err(problems) => panic!("{}", list(&problems)),
    };
    let (as_shipped, spelled_out) = (load(&shipped), load(&uncommented));
    assert_eq!(as_shipped, spelled_out);
    // The office's name, printed on papers, is identity too.
    let defaults = Config {
        kiosk: as_shipped.kiosk.clone(),
        paper: super::PaperSection {
            office_name: as_shipped.paper.office_name.clone(),
            ..Default::default()
        },
        ..Config::default()
    };
    assert_eq!(
        as_shipped, defaults,
        "the shipped file sets only kiosk identity (and the office's name) beyond the defaults"
    );
}

/// Every key the configuration has is in the shipped file, set or documented as
/// `# key = ...` / `# e.g. key = ...` under its section.
#[test]
fn shipped_file_documents_every_key() {
    let shipped =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("kiosk-config.toml"))
            .unwrap();
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    let mut keys: Vec<(String, String)> = Vec::new();
    for (section, table) in defaults.as_table().unwrap() {
        keys.extend(
            table
                .as_table()
                .unwrap()
                .keys()
                .map(|k| (section.clone(), k.clone())),
        );
    }
    // Not serialised: the secret, and the optional paths that default to unset.
    for key in ["token", "token_file", "ca_bundle", "signing_key"] {
        keys.push(("server".into(), key.into()));
    }
    keys.push(("models".into(), "runtime_library".into()));
    keys.push(("kiosk".into(), "store_key_file".into()));
    let mut section = String::new();
    let mut documented = Vec::new();
    for line in shipped.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let line = line.trim_start_matches("# e.g. ").trim_start_matches("# ");
        if let Some((key, _)) = line.split_once(" = ") {
            documented.push((section.clone(), key.to_owned()));
        }
    }
    let missing: Vec<_> = keys.iter().filter(|k| !documented.contains(k)).collect();
    assert!(missing.is_empty(), "undocumented keys: {missing:?}");
}

#[test]
fn liveness_thresholds_are_checked_with_their_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = "[kiosk]\nid = \"K1\"\nsite_code = \"110105\"\n\n[liveness]\nturn_deg = 8.0\nturn_return_deg = 12.0\nblinkk_ms = 3\n";
    let problems = parse_in(dir, text).expect_err("two problems");
    let keys: Vec<(&str, usize)> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
    assert!(
        keys.contains(&("liveness.blinkk_ms", 8)),
        "{}",
        list(&problems)
    );
    assert!(
        keys.iter().any(|(k, _)| k.starts_with("liveness.turn")),
        "{}",
        list(&problems)
    );
}

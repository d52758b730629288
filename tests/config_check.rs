//! `check-config` as an administrator meets it: the shipped file loads clean, and a
//! file with several mistakes reports all of them, each at its own line.

use std::fs;
use std::path::{Path, PathBuf};

use certpoint::config::{self, CameraSource, ConfigError, Problem};
use tempfile::TempDir;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("kiosk-config.toml")
}

/// A directory with the shipped file's required directories, and `text` as its
/// configuration.
fn write_config(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("models")).unwrap();
    fs::create_dir_all(dir.path().join("assets/voice")).unwrap();
    let path = dir.path().join("kiosk-config.toml");
    fs::write(&path, text).unwrap();
    (dir, path)
}

fn problems(text: &str) -> Vec<Problem> {
    let (_dir, path) = write_config(text);
    match config::load(&path) {
        Err(ConfigError::Invalid(p)) => p,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("expected problems in:\n{text}"),
    }
}

/// `(line, key)` of each problem, in the order reported.
fn lines_and_keys(problems: &[Problem]) -> Vec<(usize, &str)> {
    problems.iter().map(|p| (p.line, p.key.as_str())).collect()
}

#[test]
fn shipped_config_loads_clean() {
    let loaded = match config::load(&shipped()) {
        Ok(l) => l,
        Err(e) => panic!("the shipped kiosk-config.toml has problems:\n{e}"),
    };
    let c = &loaded.config;
    assert_eq!(c.kiosk.id, "DEV-KIOSK-01");
    assert_eq!(c.kiosk.site_code, "110105");
    assert!(c.server.is_offline());
    assert_eq!(c.camera.source, CameraSource::Auto);
    assert!(loaded.path.is_absolute());
    assert_eq!(
        loaded.data_dir(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
    );
}

#[test]
fn three_mistakes_in_three_places_are_all_reported() {
    let text = fs::read_to_string(shipped())
        .unwrap()
        .replace(
            "source = \"auto\"\n",
            "source = \"auto\"\nresolutoin = \"1280x720\"\n",
        )
        .replace("# count = 3", "count = \"three\"")
        .replace("# max_attempts = 3", "max_attempts = 0");
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    let found = problems(&text);
    assert_eq!(
        lines_and_keys(&found),
        [
            (line_of("resolutoin"), "camera.resolutoin"),
            (line_of("count = \"three\""), "challenges.count"),
            (line_of("max_attempts = 0"), "flow.max_attempts"),
        ],
        "{}",
        found
            .iter()
            .map(Problem::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(found[0].column, 1);
    assert_eq!(found[1].column, 9);
    assert_eq!(found[2].column, 16);
    assert!(
        found[0]
            .message
            .contains("unknown key `resolutoin` in [camera]"),
        "{}",
        found[0]
    );
    assert!(
        found[0].fix.contains("width"),
        "lists the valid keys: {}",
        found[0]
    );
    assert!(found[1].fix.contains("count = 3"), "{}", found[1]);
    assert!(found[2].fix.contains("from 1 to 10"), "{}", found[2]);
    assert!(found.iter().all(|p| p.file.ends_with("kiosk-config.toml")));
}

#[test]
fn error_display_lists_every_problem_one_per_line() {
    let (_dir, path) = write_config("[kiosk]\nid = \"\"\nsite_code = \"1\"\n");
    let err = config::load(&path).unwrap_err();
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    assert!(
        lines[0].contains("kiosk-config.toml:2:6: kiosk.id: no kiosk id is set — "),
        "{shown}"
    );
    assert!(lines[1].contains(":3:13: kiosk.site_code: "), "{shown}");
}

#[test]
fn typo_in_a_section_name() {
    let found = problems("[kiosk]\nid = \"K\"\nsite_code = \"110105\"\n\n[chalenges]\ncount = 2\n");
    assert_eq!(lines_and_keys(&found), [(5, "chalenges")]);
    assert_eq!(found[0].column, 2);
    assert!(
        found[0].fix.starts_with("did you mean [challenges]?"),
        "{}",
        found[0]
    );
}

#[test]
fn missing_replay_directory() {
    let found = problems(
        "[kiosk]\nid = \"K\"\nsite_code = \"110105\"\n[camera]\nsource = \"file:replays/none\"\n",
    );
    assert_eq!(lines_and_keys(&found), [(5, "camera.source")]);
    assert!(found[0].message.contains("replays/none"), "{}", found[0]);
}

#[test]
fn plain_http_to_another_host_is_rejected() {
    let found = problems("[kiosk]\nid = \"K\"\nsite_code = \"110105\"\n[server]\nurl = \"http://agency.example.org\"\n");
    assert_eq!(lines_and_keys(&found), [(5, "server.url")]);
    assert!(found[0].fix.contains("https://"), "{}", found[0]);
}

#[test]
fn syntax_error_gives_its_line() {
    let found = problems("[kiosk]\nid = \"K\"\nsite_code = \"110105\n[camera]\n");
    assert_eq!(found.len(), 1, "a syntax error stops the check");
    assert_eq!(found[0].line, 3);
    assert!(
        found[0].to_string().contains("kiosk-config.toml:3:"),
        "{}",
        found[0]
    );
}

#[test]
fn unreadable_file_is_a_read_error() {
    let missing = Path::new("/nonexistent/kiosk-config.toml");
    assert!(matches!(
        config::load(missing),
        Err(ConfigError::Read { .. })
    ));
    let problems = config::check(missing).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0]
        .to_string()
        .starts_with("/nonexistent/kiosk-config.toml: cannot read the file"));
}

#[test]
fn non_utf8_file_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk-config.toml");
    fs::write(&path, b"[kiosk]\n# \xd6\xd0\xce\xc4\nid = \"K\"\n").unwrap();
    let Err(ConfigError::Invalid(found)) = config::load(&path) else {
        panic!("expected invalid")
    };
    assert_eq!((found[0].line, found[0].column), (2, 3));
}

#[test]
fn check_config_warns_about_a_token_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = write_config(
        "[kiosk]\nid = \"K-1\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\
         [server]\nurl = \"https://agency.example\"\ntoken_file = \"token\"\n",
    );
    let token = dir.path().join("token");
    fs::write(&token, "t0ken-0123456789abcdef\n").unwrap();
    fs::set_permissions(&token, fs::Permissions::from_mode(0o644)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("check-config")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "warnings do not fail the check: {text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("warning:") && l.contains("token"))
        .unwrap_or_else(|| panic!("no warning about the token file in:\n{text}"));
    assert!(line.contains("mode 0644"), "{line}");
    assert!(
        line.contains(&format!("chmod 640 {}", token.display())),
        "{line}"
    );
    assert!(
        !line.contains("t0ken-0123456789abcdef"),
        "the token itself is never printed"
    );
}

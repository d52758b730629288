//! `certpoint voice check DIR` as an office runs it before installing a pack: the real
//! binary over the shipped packs, and over copies broken the ways recordings go wrong
//! (a prompt not recorded, a file that is not audio, one clip much quieter, a file
//! replaced after the manifest was written).

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn certpoint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .args(args)
        .env_remove("CERTPOINT_CONFIG")
        .output()
        .expect("run certpoint")
}

fn check(dir: &Path) -> (Option<i32>, String) {
    let o = certpoint(&["voice", "check", dir.to_str().unwrap()]);
    let t = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    (o.status.code(), t)
}

fn shipped(lang: &str, speaker: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/voice")
        .join(lang)
        .join(speaker)
}

/// A copy of the shipped female Mandarin pack to break.
fn copy_pack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(shipped("zh-CN", "female")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

fn edit_manifest(dir: &Path, f: impl FnOnce(&mut toml::Table)) {
    let path = dir.join("manifest.toml");
    let mut t: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut t);
    std::fs::write(&path, toml::to_string(&t).unwrap()).unwrap();
}

fn set_clip(dir: &Path, key: &str, file: &str) {
    use sha2::Digest;
    let bytes = std::fs::read(dir.join(file)).unwrap();
    let sha: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    edit_manifest(dir, |t| {
        let clips = t["clips"].as_table_mut().unwrap();
        let mut c = toml::Table::new();
        c.insert("file".into(), file.into());
        c.insert("sha256".into(), sha.into());
        clips.insert(key.into(), c.into());
    });
}

/// 16-bit mono PCM WAV of a 440 Hz tone at `dbfs` peak.
fn tone_wav(path: &Path, rate: u32, secs: f64, dbfs: f64) {
    let amp = 10f64.powf(dbfs / 20.0) * 32767.0;
    let n = (secs * f64::from(rate)) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + n * 2).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let v = (amp * (2.0 * PI * 440.0 * f64::from(i) / f64::from(rate)).sin()) as i16;
        b.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, b).unwrap();
}

#[test]
fn every_shipped_pack_passes() {
    for (lang, speaker) in [
        ("zh-CN", "female"),
        ("zh-CN", "male"),
        ("en", "female"),
        ("en", "male"),
    ] {
        let (code, t) = check(&shipped(lang, speaker));
        assert_eq!(code, Some(0), "{lang}/{speaker}: {t}");
        assert!(
            t.contains("ok: ") && t.contains(&format!("({lang}, {speaker})")),
            "{t}"
        );
        assert!(!t.contains("warning"), "{lang}/{speaker}: {t}");
    }
}

#[test]
fn json_lists_every_clip_with_its_loudness() {
    let o = certpoint(&[
        "voice",
        "check",
        shipped("zh-CN", "male").to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["language"], "zh-CN");
    assert_eq!(v["speaker"], "male");
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
    let clips = v["clips"].as_array().unwrap();
    assert!(clips.len() >= 38, "{}", clips.len());
    for c in clips {
        let l = c["loudness_lufs"].as_f64().unwrap();
        assert!((l - -18.0).abs() < 0.5, "{c}");
    }
}

#[test]
fn a_prompt_without_a_clip_is_named() {
    let dir = copy_pack();
    std::fs::remove_file(dir.path().join("passed.ogg")).unwrap();
    edit_manifest(dir.path(), |t| {
        t["clips"].as_table_mut().unwrap().remove("passed");
    });
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains(": passed: no clip for this prompt"), "{t}");
    assert!(t.contains("1 problem(s)"), "{t}");
}

#[test]
fn a_listed_file_that_is_missing_is_named() {
    let dir = copy_pack();
    std::fs::remove_file(dir.path().join("welcome.ogg")).unwrap();
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("welcome (welcome.ogg): cannot read"), "{t}");
}

#[test]
fn a_file_that_is_not_audio_is_named() {
    let dir = copy_pack();
    std::fs::write(
        dir.path().join("hint.too_far.ogg"),
        b"this is not a sound file, it is text",
    )
    .unwrap();
    set_clip(dir.path(), "hint.too_far", "hint.too_far.ogg");
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("hint.too_far (hint.too_far.ogg): does not decode"),
        "{t}"
    );
    assert!(t.contains("1 problem(s)"), "only the decoding fails: {t}");
}

#[test]
fn a_clip_at_another_loudness_is_named() {
    let dir = copy_pack();
    std::fs::remove_file(dir.path().join("welcome.ogg")).unwrap();
    tone_wav(&dir.path().join("welcome.wav"), 24_000, 1.5, -30.0);
    set_clip(dir.path(), "welcome", "welcome.wav");
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("welcome (welcome.wav): loudness -3"), "{t}");
    assert!(t.contains("the manifest says -18.0"), "{t}");
    assert!(
        t.contains("1 problem(s)"),
        "a WAV at the right level would pass: {t}"
    );
}

#[test]
fn a_recording_at_the_right_level_in_wav_passes() {
    // An office's recording: WAV is accepted next to Ogg Vorbis. A 440 Hz tone at
    // -15.3 dBFS peak reads about -18 LUFS.
    let dir = copy_pack();
    std::fs::remove_file(dir.path().join("welcome.ogg")).unwrap();
    tone_wav(&dir.path().join("welcome.wav"), 24_000, 1.5, -15.3);
    set_clip(dir.path(), "welcome", "welcome.wav");
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(0), "{t}");
}

#[test]
fn a_file_changed_after_the_manifest_is_named() {
    let dir = copy_pack();
    edit_manifest(dir.path(), |t| {
        t["clips"]["checking"]["sha256"] = "0".repeat(64).into();
    });
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("checking (checking.ogg): sha256 is"), "{t}");
}

#[test]
fn a_bad_manifest_is_located_and_other_fields_are_checked() {
    let dir = copy_pack();
    let path = dir.path().join("manifest.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("speaker = ", "speeker = ")).unwrap();
    let (code, t) = check(dir.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("manifest.toml:4:1"), "{t}");

    std::fs::write(
        &path,
        text.replace("speaker = \"female\"", "speaker = \"child\""),
    )
    .unwrap();
    let (_, t) = check(dir.path());
    assert!(t.contains("speaker: \"child\" is not a speaker"), "{t}");

    let empty = tempfile::tempdir().unwrap();
    let (code, t) = check(empty.path());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("cannot read the manifest"), "{t}");
}

/// An office drops a native speaker's Mongolian recordings into `<voice.dir>/mn/female/`
/// (here: one short tone per prompt, generated): `voice check` passes it, and the kiosk
/// then speaks Mongolian screens from it instead of the Mandarin fallback.
#[test]
fn a_mongolian_pack_dropped_into_the_voice_folder_is_checked_and_spoken() {
    use certpoint::ui::voice::Clips;
    use std::sync::{Arc, Mutex};

    let root = tempfile::tempdir().unwrap();
    let zh = root.path().join("zh-CN/female");
    std::fs::create_dir_all(&zh).unwrap();
    for e in std::fs::read_dir(shipped("zh-CN", "female")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), zh.join(e.file_name())).unwrap();
    }
    let lang = Arc::new(Mutex::new("mn".to_string()));
    let before = Clips::new(root.path().into(), "female", Arc::clone(&lang));
    assert_eq!(before.voice_language("mn").as_deref(), Some("zh-CN"));
    assert!(before
        .clip(&certpoint::flow::Prompt::Passed)
        .unwrap()
        .ends_with("zh-CN/female/passed.ogg"));

    let mn = root.path().join("mn/female");
    std::fs::create_dir_all(&mn).unwrap();
    let mut clips = String::new();
    for p in certpoint::ui::i18n::every_prompt() {
        let key = p.key();
        let file = format!("{key}.wav");
        tone_wav(&mn.join(&file), 24_000, 0.5, -15.3);
        let sha = certpoint::voice_pack::sha256_hex(&std::fs::read(mn.join(&file)).unwrap());
        clips.push_str(&format!(
            "\"{key}\" = {{ file = \"{file}\", sha256 = \"{sha}\" }}\n"
        ));
    }
    std::fs::write(
        mn.join("manifest.toml"),
        format!(
            "format = 1\nlanguage = \"mn\"\nspeaker = \"female\"\n\
             voice = \"test tones standing in for a native speaker\"\n\
             source = \"tests/voice_check.rs\"\nlicence = \"CC0-1.0\"\n\
             sample_rate = 24000\nloudness_lufs = -18.0\n\n[clips]\n{clips}"
        ),
    )
    .unwrap();
    let (code, t) = check(&mn);
    assert_eq!(code, Some(0), "{t}");

    // A kiosk started now (packs are opened once, at start-up) speaks Mongolian.
    let after = Clips::new(root.path().into(), "female", lang);
    assert_eq!(after.voice_language("mn").as_deref(), Some("mn"));
    assert!(after
        .clip(&certpoint::flow::Prompt::Passed)
        .unwrap()
        .ends_with("mn/female/passed.wav"));
}

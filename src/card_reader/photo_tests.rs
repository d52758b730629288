//! The vendor decoder through fake decoder scripts: the real process handling (spawn,
//! arguments, exit status, stderr, time limit, clean-up), with a shell script standing in
//! for the closed WLT decoder.

use std::os::unix::fs::PermissionsExt;

use image::{ImageFormat, Rgb};

use super::*;

fn wlt() -> Vec<u8> {
    let mut w = b"WLf\0".to_vec();
    w.resize(1024, 7);
    w
}

/// A fixture picture of the decoded size, its top-left pixel red.
fn picture(dir: &Path, format: ImageFormat, name: &str) -> PathBuf {
    let mut img = RgbImage::from_pixel(PHOTO_SIZE.0, PHOTO_SIZE.1, Rgb([200, 200, 200]));
    img.put_pixel(0, 0, Rgb([255, 0, 0]));
    let path = dir.join(name);
    img.save_with_format(&path, format).unwrap();
    path
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn decoder(program: &Path, timeout_ms: u64) -> PhotoDecoder {
    let template = format!("{} --in {{in}} --out {{out}}", program.display());
    PhotoDecoder::parse(&template, Path::new("/"), Duration::from_millis(timeout_ms)).unwrap()
}

#[test]
fn a_decoder_that_writes_a_bmp_gives_the_picture_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let bmp = picture(dir.path(), ImageFormat::Bmp, "fixture.bmp");
    let seen = dir.path().join("seen");
    // Checks it got a WLT file, keeps a copy and the path it was given, writes the BMP.
    let body = format!(
        "[ \"$1\" = --in ] && [ \"$3\" = --out ] || exit 9\n\
         [ \"$(head -c 3 \"$2\")\" = WLf ] || {{ echo 'not a WLT file' >&2; exit 3; }}\n\
         cp \"$2\" {seen}.wlt; echo \"$2\" > {seen}.path\n\
         cp {bmp} \"$4\"",
        seen = seen.display(),
        bmp = bmp.display()
    );
    let d = decoder(&script(dir.path(), "wlt2bmp", &body), 10_000);
    assert_eq!(d.check_program(), Some(Ok(())));
    let img = d.decode(&wlt()).unwrap();
    assert_eq!(img.dimensions(), PHOTO_SIZE);
    assert_eq!(img.get_pixel(0, 0), &Rgb([255, 0, 0]));
    assert_eq!(std::fs::read(seen.with_extension("wlt")).unwrap(), wlt());
    let input = std::fs::read_to_string(seen.with_extension("path")).unwrap();
    let private = Path::new(input.trim()).parent().unwrap();
    assert!(!private.exists(), "{} was left behind", private.display());
}

#[test]
fn png_output_is_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let png = picture(dir.path(), ImageFormat::Png, "fixture.png");
    let d = decoder(
        &script(dir.path(), "dec", &format!("cp {} \"$4\"", png.display())),
        10_000,
    );
    assert_eq!(d.decode(&wlt()).unwrap().dimensions(), PHOTO_SIZE);
}

#[test]
fn a_failing_decoder_is_reported_with_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let d = decoder(
        &script(dir.path(), "dec", "echo 'licence file missing' >&2; exit 2"),
        10_000,
    );
    let err = d.decode(&wlt()).unwrap_err();
    assert!(matches!(err, PhotoError::Failed { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("licence file missing") && text.contains('2'),
        "{text}"
    );
}

#[test]
fn a_decoder_that_hangs_is_stopped_at_its_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("still-running");
    let d = decoder(
        &script(
            dir.path(),
            "dec",
            &format!("sleep 30; touch {}", marker.display()),
        ),
        300,
    );
    let err = d.decode(&wlt()).unwrap_err();
    assert!(matches!(err, PhotoError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("photo_decoder_timeout_secs"));
}

#[test]
fn no_picture_or_not_a_picture_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let none = decoder(&script(dir.path(), "none", "exit 0"), 10_000);
    assert!(matches!(
        none.decode(&wlt()),
        Err(PhotoError::NoOutput { .. })
    ));
    let junk = decoder(&script(dir.path(), "junk", "echo hello > \"$4\""), 10_000);
    assert!(matches!(junk.decode(&wlt()), Err(PhotoError::BadImage(_))));
}

#[test]
fn templates_need_a_program_in_and_out() {
    let base = Path::new("/etc/certpoint");
    let t = Duration::from_secs(5);
    for bad in [
        "",
        "   ",
        "/opt/wlt2bmp {out}",
        "/opt/wlt2bmp {in}",
        "/opt/wlt2bmp",
    ] {
        assert!(
            matches!(
                PhotoDecoder::parse(bad, base, t),
                Err(PhotoError::Template { .. })
            ),
            "{bad:?}"
        );
    }
    let d = PhotoDecoder::parse("vendor/wlt2bmp -i={in} {out}", base, t).unwrap();
    assert_eq!(d.program(), Path::new("/etc/certpoint/vendor/wlt2bmp"));
    assert!(matches!(d.check_program(), Some(Err(_))));
    let bare = PhotoDecoder::parse("wlt2bmp {in} {out}", base, t).unwrap();
    assert_eq!(bare.check_program(), None, "looked up in PATH when run");
    let missing = PhotoDecoder::parse("/nonexistent/wlt2bmp {in} {out}", base, t).unwrap();
    assert!(matches!(
        missing.decode(&wlt()),
        Err(PhotoError::Spawn { .. })
    ));
}

#[test]
fn a_file_that_is_not_executable_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wlt2bmp");
    std::fs::write(&path, "").unwrap();
    let d = decoder(&path, 1000);
    let err = d.check_program().unwrap().unwrap_err();
    assert!(err.contains("not executable"), "{err}");
}

//! The chip photo. It is stored in the proprietary WLT format, and every decoder found
//! is a closed vendor binary, so certpoint writes no decoder: an office that has one
//! names it in `[card_reader] photo_decoder` (e.g. `/opt/vendor/wlt2bmp {in} {out}`),
//! and this module runs it on the 1,024 WLT bytes with a time limit and reads the
//! picture it writes (BMP, as the known decoders write, or PNG or JPEG).
//!
//! The photo is personal data: the files live in a private (0700) directory that is
//! removed as soon as the decoder has finished, whatever the outcome. The command runs
//! without a shell (words split on spaces, `{in}` and `{out}` replaced), so nothing on
//! the card can reach a shell.

use std::fs::DirBuilder;
use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use image::RgbImage;

use crate::config::{parse_decoder, DecoderCommand};

/// Size of the decoded chip photo (102 × 126, 24-bit).
pub const PHOTO_SIZE: (u32, u32) = (102, 126);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("photo_decoder {template:?} {problem}; write the program and its arguments with {{in}} and {{out}}, e.g. \"/opt/vendor/wlt2bmp {{in}} {{out}}\"")]
    Template {
        template: String,
        problem: &'static str,
    },
    #[error("the photo decoder {} cannot be run: {reason}. Check photo_decoder in [card_reader] and that the file is executable", program.display())]
    Spawn { program: PathBuf, reason: String },
    #[error("the photo decoder {} did not finish within {secs} s and was stopped. Raise photo_decoder_timeout_secs or check the decoder", program.display())]
    Timeout { program: PathBuf, secs: u64 },
    #[error("the photo decoder {} failed ({status}){stderr}", program.display())]
    Failed {
        program: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("the photo decoder {} wrote no picture to {{out}}", program.display())]
    NoOutput { program: PathBuf },
    #[error("the photo decoder's output is not a BMP, PNG or JPEG picture: {0}")]
    BadImage(String),
    #[error("cannot prepare the photo decoder's files: {0}")]
    Io(String),
}

/// A configured vendor decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoDecoder {
    program: PathBuf,
    args: Vec<String>,
    timeout: Duration,
}

impl PhotoDecoder {
    /// Parses `template` ("PROGRAM ARG… {in} … {out}", see
    /// [`crate::config::parse_decoder`]); a relative program path resolves against
    /// `base_dir` (the configuration's directory), a bare name is looked up in PATH.
    pub fn parse(
        template: &str,
        base_dir: &Path,
        timeout: Duration,
    ) -> Result<PhotoDecoder, PhotoError> {
        let DecoderCommand { program, args } =
            parse_decoder(template, base_dir).map_err(|problem| PhotoError::Template {
                template: template.to_owned(),
                problem,
            })?;
        Ok(PhotoDecoder {
            program,
            args,
            timeout,
        })
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Whether the program is there and executable; `None` for a bare name, which is
    /// found only when run.
    pub fn check_program(&self) -> Option<Result<(), String>> {
        DecoderCommand {
            program: self.program.clone(),
            args: Vec::new(),
        }
        .check_program()
    }

    /// Decodes `wlt` into a picture by running the vendor's program.
    pub fn decode(&self, wlt: &[u8]) -> Result<RgbImage, PhotoError> {
        let dir = PrivateDir::new()?;
        let input = dir.0.join("photo.wlt");
        let output = dir.0.join("photo.bmp");
        let stderr_path = dir.0.join("stderr.txt");
        std::fs::write(&input, wlt).map_err(|e| PhotoError::Io(e.to_string()))?;
        let args = self.args.iter().map(|a| {
            a.replace("{in}", &input.to_string_lossy())
                .replace("{out}", &output.to_string_lossy())
        });
        let stderr =
            std::fs::File::create(&stderr_path).map_err(|e| PhotoError::Io(e.to_string()))?;
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let mut child = spawn(&mut command).map_err(|e| PhotoError::Spawn {
            program: self.program.clone(),
            reason: e.to_string(),
        })?;
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(PhotoError::Timeout {
                        program: self.program.clone(),
                        secs: self.timeout.as_secs(),
                    });
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(PhotoError::Io(e.to_string())),
            }
        };
        if !status.success() {
            let mut text = String::new();
            if let Ok(f) = std::fs::File::open(&stderr_path) {
                let _ = f.take(400).read_to_string(&mut text);
            }
            let text = text.trim();
            return Err(PhotoError::Failed {
                program: self.program.clone(),
                status: status.to_string(),
                stderr: if text.is_empty() {
                    String::new()
                } else {
                    format!(": {text}")
                },
            });
        }
        let bytes = std::fs::read(&output).map_err(|_| PhotoError::NoOutput {
            program: self.program.clone(),
        })?;
        let picture =
            image::load_from_memory(&bytes).map_err(|e| PhotoError::BadImage(e.to_string()))?;
        Ok(picture.to_rgb8())
    }
}

/// Spawns, trying again briefly on ETXTBSY: a decoder installed a moment ago may still
/// be open for writing in a process that forked meanwhile (the installer, or a test).
fn spawn(command: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(nix::libc::ETXTBSY) && tries < 10 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// A 0700 directory under the system's temporary directory, removed on drop.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new() -> Result<PrivateDir, PhotoError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "certpoint-wlt-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| PhotoError::Io(format!("{}: {e}", path.display())))?;
        Ok(PrivateDir(path))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
#[path = "photo_tests.rs"]
mod tests;

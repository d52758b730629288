//! The command line. `main.rs` calls [`run`]; every subcommand is a library function
//! here, so the headless paths are tested the same way the kiosk runs them.

mod bench;
mod certify;
mod id;
mod queue;
mod sync;
mod vision;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigError, LoadedConfig};

/// Where the kiosk looks for its configuration when `--config` is not given: the
/// development copy in the working directory first, then the packaged one.
pub const DEFAULT_CONFIG_PATHS: [&str; 2] =
    ["kiosk-config.toml", "/etc/certpoint/kiosk-config.toml"];

#[derive(Debug, Parser)]
#[command(name = "certpoint", version, about = "Pension certification kiosk")]
pub struct Cli {
    /// Configuration file (default: ./kiosk-config.toml, then /etc/certpoint/kiosk-config.toml).
    #[arg(long, global = true, env = "CERTPOINT_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the kiosk (the default when no command is given).
    Run(RunArgs),
    /// Check a configuration file and print every problem found.
    CheckConfig {
        /// The file to check (default: the one the kiosk would use).
        path: Option<PathBuf>,
    },
    /// Inspect the outbox of certification records.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Resident ID number tools.
    #[command(subcommand)]
    Id(IdCommand),
    /// Analyse photos with the face pipeline: boxes, landmarks, pose, eyes, quality,
    /// passive liveness (one JSON object per image with --json).
    Analyze {
        #[arg(required = true)]
        images: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Model directory (default: the config's models.dir, else ./models).
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Compare the faces in two photos (each must hold exactly one face).
    Compare {
        a: PathBuf,
        b: PathBuf,
        #[arg(long)]
        json: bool,
        /// Similarity threshold (default: the config's thresholds.face_match).
        #[arg(long)]
        threshold: Option<f32>,
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Run one certification attempt on a replay, headless, and print the stored record.
    Certify {
        /// Frame source: file:DIR (images played once, in name order) or file:PHOTO.
        #[arg(long)]
        camera: String,
        /// The retiree's resident ID number.
        #[arg(long)]
        id: String,
        /// Reference photo to match against (without it the record is marked for the
        /// server to match later).
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Seed of the challenge order (default: random).
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Make a SYNTHETIC replay from one photo (warped head turns, painted blinks) for
    /// tests and demos: a directory of numbered JPEG frames for `certify --camera file:DIR`.
    SynthReplay {
        #[arg(long)]
        photo: PathBuf,
        /// Comma-separated actions in order, e.g. blink,turn_left,look_up (empty = a still face).
        #[arg(long, default_value = "", conflicts_with = "seed")]
        actions: String,
        /// Perform the challenges `certify --seed N` will ask for (with this config).
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        models: Option<PathBuf>,
    },
    /// Benchmarks (figures for the issue notes; not run by the test suite).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Show the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Send queued records to the agency server.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// The kiosk's record-signing key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Self-tests for installers and the test suite.
    #[command(subcommand, hide = true)]
    Selftest(SelftestCommand),
}

#[derive(Debug, Default, Args)]
pub struct RunArgs {
    /// Run in a normal window instead of full screen (development).
    #[arg(long)]
    pub windowed: bool,
    /// Close the window after this many seconds (start-up smoke tests).
    #[arg(long, hide = true)]
    pub exit_after_secs: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Counts of pending, sent and rejected records and the oldest pending one.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// The newest records, ID numbers masked.
    List {
        #[arg(long)]
        json: bool,
        /// Only records in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// How many of the newest records to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateArg {
    Pending,
    Sent,
    Rejected,
}

#[derive(Debug, Subcommand)]
pub enum IdCommand {
    /// Validate an 18-character (or legacy 15-digit) resident ID number.
    Check {
        number: String,
        /// Compute the age on this date (YYYY-MM-DD) instead of today.
        #[arg(long)]
        on: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Per-frame analysis latency (p50/p99), model load time, peak memory.
    Analysis {
        /// Directory of 640×480 frames (default: a synthetic replay of a test photo).
        #[arg(long)]
        frames: Option<PathBuf>,
        /// ONNX Runtime intra-op threads per model.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        #[arg(long, default_value_t = 400)]
        min_frames: usize,
        /// A Python with onnxruntime, numpy and pillow (bench/requirements.txt): also
        /// time bench/python_reference.py on the same frames.
        #[arg(long)]
        python: Option<PathBuf>,
        #[arg(long, default_value = "models")]
        models: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The newest audit entries, oldest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Send every pending record now; exit 0 only when none is left pending.
    Now {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create the signing key (server.signing_key, default <data_dir>/kiosk.key, mode
    /// 0600; never replaces one) and print its public key for registration.
    Init {
        #[arg(long)]
        json: bool,
    },
    /// Print the existing key's public key.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SelftestCommand {
    /// Write synthetic records to a throw-away store, printing `ACK seq id sha256` after
    /// each durable commit (the kill -9 durability test drives this).
    Durability {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
    },
}

/// Runs the parsed command line; errors come back for `main` to print once.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        None => crate::ui::run_kiosk(&load_config(cli.config.as_deref())?, &RunArgs::default()),
        Some(Command::Run(args)) => {
            crate::ui::run_kiosk(&load_config(cli.config.as_deref())?, &args)
        }
        Some(Command::CheckConfig { path }) => {
            let path = path.or(cli.config).unwrap_or_else(default_config_path);
            check_config(&path, &mut out)
        }
        Some(Command::Id(IdCommand::Check { number, on, json })) => {
            let on = on.unwrap_or_else(|| chrono::Local::now().date_naive());
            id::check(&number, on, json, &mut out)
        }
        Some(Command::Analyze {
            images,
            json,
            models,
        }) => {
            let cfg = optional_config(cli.config.as_deref())?;
            let mut v = vision::open_vision(models.as_deref(), cfg.as_ref())?;
            vision::analyze(&mut v, &images, json, &mut out)
        }
        Some(Command::Compare {
            a,
            b,
            json,
            threshold,
            models,
        }) => {
            let cfg = optional_config(cli.config.as_deref())?;
            let threshold = threshold
                .or(cfg.as_ref().map(|c| c.config.thresholds.face_match))
                .unwrap_or(crate::config::Thresholds::default().face_match);
            let mut v = vision::open_vision(models.as_deref(), cfg.as_ref())?;
            vision::compare(&mut v, &a, &b, threshold, json, &mut out)
        }
        Some(Command::Certify {
            camera,
            id,
            reference,
            seed,
            json,
        }) => {
            let cfg = load_config(cli.config.as_deref())?;
            certify::run(
                &cfg,
                certify::CertifyArgs {
                    camera,
                    id,
                    reference,
                    seed,
                    json,
                },
                &mut out,
            )
        }
        Some(Command::SynthReplay {
            photo,
            actions,
            seed,
            out: dir,
            models,
        }) => {
            let cfg = optional_config(cli.config.as_deref())?;
            let planned = seed.map(|seed| {
                let c = cfg
                    .as_ref()
                    .map(|c| c.config.challenges.clone())
                    .unwrap_or_default();
                crate::flow::challenge_plan(&c.set, c.count, seed, 1)
            });
            let mut v = vision::open_vision(models.as_deref(), cfg.as_ref())?;
            let actions = actions
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    certpoint_protocol::Action::parse(s.trim())
                        .ok_or_else(|| anyhow::anyhow!("--actions: unknown action {s:?}; use blink, turn_left, turn_right, look_up"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let actions = planned.unwrap_or(actions);
            let img = image::open(&photo)
                .with_context(|| format!("cannot read {}", photo.display()))?
                .to_rgb8();
            let synth = crate::synth::Synth::from_photo(&mut v, &img)?;
            let frames = synth.replay(&actions);
            crate::synth::write_replay(&frames, &dir)?;
            let names: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
            writeln!(
                out,
                "{} synthetic frames ({}) written to {}",
                frames.len(),
                if names.is_empty() {
                    "still face".to_owned()
                } else {
                    names.join(", ")
                },
                dir.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Bench(BenchCommand::Analysis {
            frames,
            threads,
            min_frames,
            python,
            models,
            json,
        })) => bench::analysis(
            bench::BenchArgs {
                frames,
                threads,
                min_frames,
                python,
                models,
                json,
            },
            &mut out,
        ),
        Some(Command::Queue(cmd)) => {
            queue::run(&load_config(cli.config.as_deref())?, cmd, &mut out)
        }
        Some(Command::Audit(AuditCommand::List { limit, json })) => {
            queue::audit_list(&load_config(cli.config.as_deref())?, limit, json, &mut out)
        }
        Some(Command::Sync(SyncCommand::Now { json })) => {
            sync::sync_now(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Keys(KeysCommand::Init { json })) => {
            sync::keys_init(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Keys(KeysCommand::Show { json })) => {
            sync::keys_show(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Selftest(SelftestCommand::Durability { db, count })) => {
            crate::store::selftest::write_acknowledged(&db, count, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The configuration file the kiosk uses when none is named.
pub fn default_config_path() -> PathBuf {
    DEFAULT_CONFIG_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATHS[0]))
}

/// For commands that work without a kiosk configuration (photo tools): the named file
/// must load; with none named, the default file is used only if it exists.
fn optional_config(path: Option<&Path>) -> anyhow::Result<Option<LoadedConfig>> {
    match path {
        Some(p) => load_config(Some(p)).map(Some),
        None if default_config_path().exists() => load_config(None).map(Some),
        None => Ok(None),
    }
}

/// Loads the configuration or fails with every problem listed.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<LoadedConfig> {
    let path = path.map(Path::to_owned).unwrap_or_else(default_config_path);
    config::load(&path).map_err(|e| match e {
        ConfigError::Invalid(_) => anyhow::anyhow!(
            "{e}\nFix the file, then check it with: certpoint check-config {}",
            path.display()
        ),
        other => anyhow::Error::new(other),
    })
}

/// `certpoint check-config`: exit 0 and a one-line summary when the file is good,
/// otherwise every problem, one per line, and exit 1.
pub fn check_config(path: &Path, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    match config::load(path) {
        Ok(loaded) => {
            writeln!(
                out,
                "{}: ok (kiosk {}, site {})",
                path.display(),
                loaded.config.kiosk.id,
                loaded.config.kiosk.site_code
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Err(ConfigError::Invalid(problems)) => {
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            writeln!(out, "{} problem(s) in {}", problems.len(), path.display())?;
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e).with_context(|| format!("checking {}", path.display())),
    }
}

//! The command line. `main.rs` calls [`run`]; every subcommand is a library function
//! here, so the headless paths are tested the same way the kiosk runs them.

mod args;
mod assist;
mod audit;
mod bench;
mod bench_depth;
mod cache;
mod card;
mod certify;
mod clerk;
mod flash;
mod id;
mod liveness;
mod manual;
mod queue;
mod sync;
mod vision;
mod voice;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{self, ConfigError, LoadedConfig};

pub use args::*;

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
            card_device,
            card_wait,
            exclude,
            reference,
            seed,
            flash_loopback,
            json,
        }) => {
            let cfg = load_config(cli.config.as_deref())?;
            certify::run(
                &cfg,
                certify::CertifyArgs {
                    camera,
                    id,
                    card_device,
                    card_wait,
                    exclude,
                    reference,
                    seed,
                    flash_loopback,
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
        Some(Command::Bench(BenchCommand::Depth {
            clips,
            photos,
            models,
            min_yaw_deg,
            json,
        })) => bench_depth::depth(
            bench_depth::DepthArgs {
                clips,
                photos,
                models,
                min_yaw_deg,
                json,
            },
            &mut out,
        ),
        Some(Command::Bench(BenchCommand::Ui { secs, json })) => {
            crate::ui::bench::run(&load_config(cli.config.as_deref())?, secs, json, &mut out)
        }
        Some(Command::Queue(cmd)) => {
            queue::run(&load_config(cli.config.as_deref())?, cmd, &mut out)
        }
        Some(Command::Audit(AuditCommand::List { limit, json })) => {
            queue::audit_list(&load_config(cli.config.as_deref())?, limit, json, &mut out)
        }
        Some(Command::Audit(AuditCommand::Verify { head, json })) => audit::verify(
            &load_config(cli.config.as_deref())?,
            head.as_ref(),
            json,
            &mut out,
        ),
        Some(Command::ManualCheck {
            id,
            card_device,
            card_wait,
            why,
            clerk,
            reason,
            pin_stdin,
            json,
        }) => manual::run(
            &load_config(cli.config.as_deref())?,
            manual::ManualArgs {
                id,
                card_device,
                card_wait,
                why,
                clerk,
                reason,
                pin_stdin,
                json,
            },
            &mut out,
        ),
        Some(Command::Clerk(cmd)) => {
            clerk::run(&load_config(cli.config.as_deref())?, cmd, &mut out)
        }
        Some(Command::Bench(BenchCommand::Pin { checks, json })) => {
            clerk::bench_pin(checks, json, &mut out)
        }
        Some(Command::Sync(SyncCommand::Now { json })) => {
            sync::sync_now(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Sync(SyncCommand::Status { json })) => {
            sync::sync_status(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Keys(KeysCommand::Init { json })) => {
            sync::keys_init(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Keys(KeysCommand::Show { json })) => {
            sync::keys_show(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Cache(CacheCommand::Status { json })) => {
            cache::status(&load_config(cli.config.as_deref())?, json, &mut out)
        }
        Some(Command::Cache(CacheCommand::Import { file, json })) => {
            cache::import(&load_config(cli.config.as_deref())?, &file, json, &mut out)
        }
        Some(Command::Card(CardCommand::Read(args))) => card::read(
            optional_config(cli.config.as_deref())?.as_ref(),
            args,
            &mut out,
        ),
        Some(Command::Card(CardCommand::Simulate(args))) => card::simulate(*args, &mut out),
        Some(Command::Assist(AssistCommand::Issue(args))) => {
            assist::issue(&load_config(cli.config.as_deref())?, args, &mut out)
        }
        Some(Command::Receipt(args)) => {
            assist::receipt(&load_config(cli.config.as_deref())?, args, &mut out)
        }
        Some(Command::Flash(FlashCommand::Simulate { trials, seed, json })) => {
            let section = match cli.config.as_deref() {
                Some(_) => load_config(cli.config.as_deref())?.config.flash,
                None => crate::config::FlashSection::default(),
            };
            flash::simulate(&section, trials, seed, json, &mut out)
        }
        Some(Command::Voice(VoiceCommand::Check { dir, json })) => {
            voice::check(&dir, json, &mut out)
        }
        Some(Command::Liveness(cmd)) => liveness::run(
            optional_config(cli.config.as_deref())?.as_ref(),
            cmd,
            &mut out,
        ),
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
            // Too-open files do not make the configuration wrong, but they are said here.
            for w in config::permissions::check(&loaded) {
                writeln!(out, "warning: {w}")?;
            }
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

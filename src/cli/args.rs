//! The command-line shape: every subcommand, flag and `--json` switch. Keep these
//! stable: scripts, tests and administrators depend on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
        /// The retiree's resident ID number (typed: the record's id_source is `typed`).
        #[arg(
            long,
            required_unless_present = "card_device",
            conflicts_with = "card_device"
        )]
        id: Option<String>,
        /// Read the ID number off the card on this ID card reader (serial device;
        /// `[card_reader]` baud, retries and photo_decoder apply): id_source
        /// `card_reader`, and with a photo decoder the chip photo is the reference.
        #[arg(long)]
        card_device: Option<PathBuf>,
        /// Seconds to wait for a card on the reader.
        #[arg(long, default_value_t = 10.0)]
        card_wait: f64,
        /// The clerk's exclusions for this person, comma-separated: stiff_neck (no
        /// head movements), eye_condition (no blink). The record lists them.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Reference photo to match against (without it the record is marked for the
        /// server to match later).
        #[arg(long)]
        reference: Option<PathBuf>,
        /// Seed of the challenge order (default: random).
        #[arg(long)]
        seed: Option<u64>,
        /// Light the replay with the screen flash (`[flash] enabled` must be on): live
        /// (a face reflecting it), replay (a recording: no response) or phone (a
        /// screen with its own light). SYNTHETIC, for tests and demos.
        #[arg(long)]
        flash_loopback: Option<String>,
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
    /// Show the audit log and check its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The clerk checks a person by the physical ID card without the camera (the person
    /// cannot do the actions, or the camera is down) and records a manual pass; the
    /// clerk's PIN must verify. The person's status is asked first.
    ManualCheck {
        /// The person's ID number (typed).
        #[arg(
            long,
            required_unless_present = "card_device",
            conflicts_with = "card_device"
        )]
        id: Option<String>,
        /// Read the number off the card on this ID card reader instead.
        #[arg(long)]
        card_device: Option<PathBuf>,
        /// Seconds to wait for a card on the reader.
        #[arg(long, default_value_t = 10.0)]
        card_wait: f64,
        /// cannot_perform_challenges or camera_unavailable (the record's reason).
        #[arg(long, default_value = "cannot_perform_challenges")]
        why: String,
        /// The clerk's id (`certpoint clerk add`).
        #[arg(long)]
        clerk: String,
        /// Why the clerk vouches for the person (free text, in the record's method).
        #[arg(long)]
        reason: String,
        /// Read the PIN from the first line of standard input instead of the terminal.
        #[arg(long)]
        pin_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// Clerks who may approve a manual pass, and their PINs.
    #[command(subcommand)]
    Clerk(ClerkCommand),
    /// Send queued records to the agency server.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// The kiosk's record-signing key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The offline reference cache (the agency's signed bundle of reference embeddings).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Second-generation ID card readers: read a card, or simulate a reader.
    #[command(subcommand)]
    Card(CardCommand),
    /// Voice packs (docs/voice-pack.md).
    #[command(subcommand)]
    Voice(VoiceCommand),
    /// The screen-flash challenge (issue 15 §3).
    #[command(subcommand)]
    Flash(FlashCommand),
    /// Self-tests for installers and the test suite.
    #[command(subcommand, hide = true)]
    Selftest(SelftestCommand),
    /// Certificates of Assistance (协助认证证明) for bedridden retirees.
    #[command(subcommand)]
    Assist(AssistCommand),
    /// Print (or save) the certification receipt slip of a stored record.
    Receipt(ReceiptArgs),
    /// Liveness on recorded footage: eval (a labelled corpus), trace (per-frame signals).
    #[command(subcommand)]
    Liveness(super::liveness::LivenessCommand),
}

#[derive(Debug, Subcommand)]
pub enum AssistCommand {
    /// Issue a certificate: check the fields, the clerk's PIN and the retiree's status,
    /// store the record, write the PDF and print it when [paper] printer is set.
    /// Exit 0 issued, 2 a field is wrong, 3 refused by the status, 4 PIN not accepted.
    Issue(AssistIssueArgs),
}

#[derive(Debug, Args)]
pub struct AssistIssueArgs {
    /// The bedridden retiree's resident ID number.
    #[arg(long)]
    pub pensioner: String,
    /// The relative's resident ID number (from the card they show).
    #[arg(long)]
    pub relative_id: String,
    /// The relative's name as on their ID card.
    #[arg(long)]
    pub relative_name: String,
    /// spouse, child, child_in_law, grandchild, sibling, parent, guardian, other_relative.
    #[arg(long)]
    pub relation: String,
    /// Why the retiree cannot come (4 to 200 characters), e.g. "长期卧床".
    #[arg(long)]
    pub reason: String,
    /// The clerk's id; their PIN is asked (or read from stdin with --pin-stdin).
    #[arg(long)]
    pub clerk: String,
    /// Read the clerk's PIN from the first line of standard input.
    #[arg(long)]
    pub pin_stdin: bool,
    /// Where to save the PDF (default: <paper dir>/<serial>.pdf).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// The record's id (`certpoint queue list`).
    #[arg(long)]
    pub record: String,
    /// Where to save the PDF (default: <paper dir>/receipt-<record>.pdf).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
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
    /// Apply retention now: remove ID numbers and face crops of acknowledged records,
    /// delete acknowledged records older than retention.days, and remove the personal
    /// data of rejected records older than that. Pending records are never touched.
    Purge {
        #[arg(long)]
        json: bool,
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
    /// Time of one clerk PIN check (an Argon2id verification with the built-in
    /// parameters), p50 and max over a number of checks.
    Pin {
        #[arg(long, default_value_t = 20)]
        checks: usize,
        #[arg(long)]
        json: bool,
    },
    /// The 3-D check during head turns: nose-tip parallax on real frame sequences and
    /// on synthetic picture attacks (flat, curved, folded sheets) made from photos, and
    /// the face mesh's time per run.
    Depth {
        /// Frame folders of real footage (JPEG/PNG, in order).
        #[arg(long, num_args = 1..)]
        clips: Vec<PathBuf>,
        /// Photos to turn into sheet attacks.
        #[arg(long, num_args = 1..)]
        photos: Vec<PathBuf>,
        #[arg(long, default_value = "models")]
        models: PathBuf,
        /// Yaw change from the frontal frame before a frame counts (degrees).
        #[arg(long, default_value_t = 12.0)]
        min_yaw_deg: f32,
        #[arg(long)]
        json: bool,
    },
    /// UI frame time (p50/p99) of the kiosk screens while the camera and analysis run
    /// at full rate (the configured camera; a throw-away data directory).
    Ui {
        #[arg(long, default_value_t = 20.0)]
        secs: f64,
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
    /// Walk the hash chain: exit 0 when every entry is intact, 1 with the first
    /// broken entry named otherwise. Prints the head (last id and hash): note it, since
    /// entries cut off the end can only be seen against a head recorded earlier.
    Verify {
        /// A head printed by an earlier check (ID:HASH): fail unless that entry is
        /// still in the log with that hash.
        #[arg(long)]
        head: Option<crate::store::NotedHead>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClerkCommand {
    /// Register a clerk. The PIN (6 or more digits) is asked twice on the terminal
    /// without echo, or read from the first line of standard input with --pin-stdin.
    /// It is never printed or logged; only its Argon2id hash is stored.
    Add {
        id: String,
        #[arg(long)]
        pin_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// Registered clerks with their wrong-PIN counts and lockouts (never PIN hashes).
    List {
        #[arg(long)]
        json: bool,
    },
    /// End a clerk's lockout and clear the wrong-PIN count.
    Unlock {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a clerk: their id is refused from then on.
    Remove {
        id: String,
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
    /// The queue, and what the sync worker (or the last `sync now`) last saw.
    Status {
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
pub enum FlashCommand {
    /// SIMULATED pass rates of the flash check (src/flash/sim.rs): live faces at
    /// several reflection strengths, and the false-accept rate of sources that do not
    /// follow the screen (noise, replays, phones), with the lag search and its penalty,
    /// at the `[flash]` settings of the config (or the defaults without one).
    Simulate {
        /// Flashes per source.
        #[arg(long, default_value_t = 2000)]
        trials: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Whether the cache can be used for a pass now: region, generation time, age,
    /// references, model, signing key, and the reason when it cannot.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Verify a bundle file (`certpoint-agency bundle export`) against the pinned agency
    /// keys, this kiosk's model and region, and install it if it is newer than the
    /// installed one. Exit 1, with the reason, when it is refused.
    Import {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum VoiceCommand {
    /// Validate a voice pack folder: manifest, a clip for every prompt key, sha256s,
    /// decoding, sample rate and loudness. Exit 1 listing every problem.
    Check {
        dir: PathBuf,
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

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Read the card on the reader once and print it (the ID number masked unless
    /// --reveal). Device, speed, retries and photo decoder default to [card_reader].
    Read(CardReadArgs),
    /// Simulate a reader on a pseudo-terminal linked at --link (tests and demos). Runs
    /// until Ctrl-C / SIGTERM; SIGUSR1 takes the card off the reader and puts it back.
    Simulate(Box<SimulateArgs>),
}

#[derive(Debug, Args)]
pub struct CardReadArgs {
    /// The reader's serial device (default: [card_reader] device).
    #[arg(long)]
    pub device: Option<PathBuf>,
    /// Line speed (default: [card_reader] baud, 115200).
    #[arg(long)]
    pub baud: Option<u32>,
    /// Print the full ID number.
    #[arg(long)]
    pub reveal: bool,
    #[arg(long)]
    pub json: bool,
    /// Seconds to wait for a card to be placed (default: about one second).
    #[arg(long)]
    pub wait: Option<f64>,
    /// Decode the chip photo and save it here as PNG (needs a photo decoder).
    #[arg(long)]
    pub photo: Option<PathBuf>,
    /// The vendor's WLT decoder, "PROGRAM ARGS {in} {out}" (default: [card_reader]
    /// photo_decoder).
    #[arg(long)]
    pub photo_decoder: Option<String>,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Where to put the reader: a symlink to the pseudo-terminal (removed on exit).
    #[arg(long)]
    pub link: PathBuf,
    /// The card: resident, hkmo (Hong Kong/Macao/Taiwan permit) or foreign.
    #[arg(long = "type", default_value = "resident")]
    pub kind: String,
    /// The ID number on the chip (not validated, so bad numbers can be tried).
    #[arg(long)]
    pub id: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    /// male, female, or the chip's code 1, 2, 0, 9 (default: from the ID number).
    #[arg(long)]
    pub sex: Option<String>,
    /// Nation code (01) or name (汉); the nationality (CAN) on a foreigner's card.
    #[arg(long)]
    pub nation: Option<String>,
    /// Birth date, YYYY-MM-DD (default: from the ID number).
    #[arg(long)]
    pub birth: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub authority: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    pub valid_from: Option<String>,
    /// YYYY-MM-DD or 长期 (long-term).
    #[arg(long)]
    pub valid_to: Option<String>,
    /// The chip serial SELECT answers, 16 hex digits (default: zeros, as in the trace).
    #[arg(long)]
    pub serial: Option<String>,
    /// Start with no card on the reader (SIGUSR1 puts it there).
    #[arg(long)]
    pub no_card: bool,
    /// Take the card off this many seconds after start.
    #[arg(long)]
    pub remove_after: Option<f64>,
    /// Find the card again after it was read (as some readers do), instead of only after
    /// it was taken off and put back.
    #[arg(long)]
    pub refind: bool,
    /// Inject a fault: NAME[:COUNT|:all][@COMMAND], NAME one of bad-checksum, silence,
    /// partial-frames, slow-writes, noise, sam-failure; COMMAND one of reset, status,
    /// samid, find, select, read, address. Repeatable.
    #[arg(long = "fault")]
    pub faults: Vec<String>,
    /// Print every request and the status answered.
    #[arg(long)]
    pub verbose: bool,
}

//! certpoint: the on-site pension certification kiosk.
//!
//! The library holds everything the kiosk does; `main.rs` only parses the command line
//! and calls in here, so every command is testable without a screen or a camera.
//!
//! - [`id_number`]: resident ID numbers (GB 11643) — parse, validate, mask.
//! - [`wedge`]: turns keyboard-wedge scanner keystrokes into scanned ID numbers.
//! - [`card_reader`]: second-generation ID card readers: driver, simulator, idle listener.
//! - [`config`]: the administrator's `kiosk-config.toml`, validated with line and column.
//! - [`flow`]: the certification flow as a pure state machine.
//! - [`footage`]: liveness measured on labelled recorded footage (`certpoint liveness`).
//! - [`store`]: the local SQLite outbox of records and the audit log.
//! - [`cache`]: the offline reference cache (the agency's signed, sealed bundle of
//!   reference embeddings) for matching while the server is unreachable.
//! - [`record`]: an ended attempt plus the kiosk's identity → the stored record.
//! - [`cli`], [`kiosk`], [`ui`]: the command line, start-up and the window.
//! - [`watchdog`]: tells systemd the window is up and still drawing.

pub mod assist;
pub mod cache;
pub mod camera;
pub mod card_reader;
pub mod cli;
pub mod config;
pub mod deadline;
pub mod driver;
pub mod flash;
pub mod flow;
pub mod footage;
pub mod kiosk;
pub mod liveness;
pub mod logging;
pub mod paper;
pub mod record;
pub mod store;
pub mod sync;
pub mod synth;
pub mod ui;
pub mod voice_pack;
/// The face pipeline lives in the `certpoint-face` crate (shared with the agency server);
/// `certpoint::vision` keeps the kiosk's paths.
pub use certpoint_face as vision;
pub mod watchdog;
pub mod wedge;

/// Resident ID numbers live in `certpoint-protocol`, shared with the agency (which
/// validates roster files with them); `crate::id_number` keeps naming them here.
pub use certpoint_protocol::id_number;

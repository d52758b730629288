//! The kiosk's pure modules, compiled from `../src` for the fuzz targets.
//!
//! Why not depend on the `certpoint` crate: it pulls eframe, ONNX Runtime, nokhwa (bindgen
//! and libclang), rodio (ALSA), ureq+rustls and bundled SQLite, all of which would be
//! rebuilt under nightly with sanitizer instrumentation, and none of which the fuzzed code
//! touches. Instead each module is included by `#[path]`, so the targets run the very
//! files in `src/` (not copies), and this crate root supplies the `crate::` paths they use:
//! `crate::id_number` (for the wedge; the module lives in `certpoint-protocol`, a
//! dependency here already) and `crate::liveness::LivenessParams` (for the config). A
//! module that starts to need more of the kiosk fails to compile here, which is the
//! signal to add it below.

// Items the kiosk uses elsewhere look unused from this crate.
#![allow(dead_code)]

/// In `certpoint-protocol` now (shared with the agency); a dependency of this crate already.
pub use certpoint_protocol::id_number;

#[path = "../../src/wedge.rs"]
pub mod wedge;

#[path = "../../src/config/mod.rs"]
pub mod config;

/// Only the parameter file of the liveness module: the config embeds its thresholds.
#[path = "../../src/liveness/params.rs"]
mod liveness_params;

pub mod liveness {
    pub use crate::liveness_params::{LivenessParams, ParamError};
}

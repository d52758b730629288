//! `[reference_cache]`: the offline reference cache, a signed bundle of reference
//! embeddings the agency publishes per region (see `crate::cache`).
//!
//! Off by default: it is only safe with the agency's bundle key pinned here, and that
//! key is the agency's to hand out. Its rules live beside the section because they are
//! about trust (which key, which region), not ranges alone.

use serde::{Deserialize, Serialize};

use super::validate::Finding;
use super::Config;

/// `[reference_cache]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferenceCacheSection {
    /// Keep, refresh and match from the cache when the server cannot be reached.
    pub enabled: bool,
    /// The agency's bundle-signing public keys (base64), `certpoint-agency bundle key
    /// show`. More than one lets the agency roll to a new key without a gap.
    pub agency_public_keys: Vec<String>,
    /// The region whose bundle this kiosk keeps; empty means `kiosk.site_code`.
    pub region: String,
    /// A bundle older than this is not used for a pass; the clerk is told.
    pub max_age_days: u32,
    /// How often the sync worker asks the server for a newer bundle.
    pub refresh_interval_minutes: u32,
    /// Time allowed for one bundle download (about 110 MB for 200,000 people).
    pub download_timeout_secs: u64,
}

impl Default for ReferenceCacheSection {
    fn default() -> Self {
        ReferenceCacheSection {
            enabled: false,
            agency_public_keys: Vec::new(),
            region: String::new(),
            max_age_days: 7,
            refresh_interval_minutes: 60,
            download_timeout_secs: 600,
        }
    }
}

impl ReferenceCacheSection {
    /// The region bundles must be for: `region`, else the kiosk's site code.
    pub fn scope<'a>(&'a self, config: &'a Config) -> &'a str {
        if self.region.is_empty() {
            &config.kiosk.site_code
        } else {
            &self.region
        }
    }
}

/// The section's rules beyond plain ranges (those are in `rules::BOUNDS`).
pub(crate) fn validate(c: &Config) -> Vec<Finding> {
    let s = &c.reference_cache;
    let mut out = Vec::new();
    let mut fail = |key: &'static str, index: Option<usize>, message: String, fix: &str| {
        out.push(Finding {
            index,
            ..Finding::new(key, message, fix)
        })
    };
    const KEYS: &str = "reference_cache.agency_public_keys";
    if s.enabled && s.agency_public_keys.is_empty() {
        fail(
            KEYS,
            None,
            "the cache is enabled but no agency key is pinned, so no bundle can be trusted"
                .into(),
            "add the agency's bundle public key (certpoint-agency bundle key show), e.g. agency_public_keys = [\"…base64…\"], or set enabled = false",
        );
    }
    let mut seen = Vec::new();
    for (i, key) in s.agency_public_keys.iter().enumerate() {
        match certpoint_protocol::parse_public_key(key) {
            Err(_) => fail(
                KEYS,
                Some(i),
                format!("\"{key}\" is not an ed25519 public key (32 bytes of base64)"),
                "copy the key exactly as `certpoint-agency bundle key show` prints it",
            ),
            Ok(k) if seen.contains(&k) => fail(
                KEYS,
                Some(i),
                "this key is listed twice".into(),
                "remove the repeated entry",
            ),
            Ok(k) => seen.push(k),
        }
    }
    let region_ok = s.region.len() <= 32
        && s.region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !region_ok {
        fail(
            "reference_cache.region",
            None,
            format!("\"{}\" is not a region code", s.region),
            "use the region code the agency exports bundles for (letters, digits, '-' or '_', up to 32), e.g. \"110105\", or leave it empty to use kiosk.site_code",
        );
    }
    out
}

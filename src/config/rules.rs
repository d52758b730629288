//! Rules about single values that need no other key: numeric ranges and the server
//! URL. Kept apart from `validate` because the loader also words its fixes from the
//! ranges when a number does not even fit its type.

use std::fmt::Display;

/// Allowed ranges of numeric keys, inclusive. Also used to word the fix when a number
/// does not even fit its type (e.g. a negative count).
pub(crate) const BOUNDS: &[(&str, f64, f64)] = &[
    ("server.request_timeout_secs", 1.0, 120.0),
    ("camera.width", 160.0, 3840.0),
    ("camera.height", 120.0, 2160.0),
    ("camera.fps", 1.0, 60.0),
    ("camera.replay_fps", 1.0, 60.0),
    ("card_reader.poll_interval_ms", 200.0, 5000.0),
    ("card_reader.retries", 0.0, 10.0),
    ("card_reader.removal_polls", 1.0, 20.0),
    ("card_reader.photo_decoder_timeout_secs", 1.0, 60.0),
    ("models.intra_threads", 1.0, 8.0),
    ("thresholds.face_match", 0.0, 1.0),
    ("thresholds.passive_liveness", 0.0, 1.0),
    ("depth_check.threshold", 0.0, 0.5),
    ("depth_check.min_yaw_deg", 5.0, 30.0),
    ("thresholds.face_size_min", 0.05, 0.9),
    ("thresholds.face_size_max", 0.05, 0.9),
    ("thresholds.min_brightness", 0.0, 255.0),
    ("thresholds.max_brightness", 0.0, 255.0),
    ("thresholds.min_sharpness", 0.0, f64::INFINITY),
    ("thresholds.max_yaw_deg", 1.0, 45.0),
    ("challenges.count", 1.0, 6.0),
    ("challenges.timeout_secs", 3.0, 120.0),
    ("flow.max_attempts", 1.0, 10.0),
    ("flow.positioning_timeout_secs", 5.0, 600.0),
    ("flow.reference_timeout_secs", 1.0, 60.0),
    ("flow.matching_timeout_secs", 1.0, 120.0),
    ("flow.result_display_secs", 3.0, 300.0),
    ("flow.min_pension_age", 40.0, 80.0),
    ("flow.voice_repeat_secs", 2.0, 60.0),
    ("clerk.max_pin_attempts", 1.0, 20.0),
    ("clerk.lockout_minutes", 1.0, 1440.0),
    ("voice.volume", 0.0, 1.0),
    ("retention.days", 1.0, 3650.0),
    ("logging.file_max_files", 1.0, 365.0),
    ("reference_cache.max_age_days", 1.0, 365.0),
    ("reference_cache.refresh_interval_minutes", 1.0, 10080.0),
    ("reference_cache.download_timeout_secs", 10.0, 3600.0),
];

/// "use a value from 1 to 6" for a key in [`BOUNDS`].
pub(crate) fn bound_fix(key: &str) -> Option<String> {
    let &(_, min, max) = BOUNDS.iter().find(|(k, ..)| *k == key)?;
    Some(if max.is_finite() {
        format!("use a value from {min} to {max}")
    } else {
        format!("use a value of {min} or more")
    })
}

/// Numbers the range rules accept; Display keeps `0.55` from printing as an f64.
pub(crate) trait Number: Copy + Display {
    fn as_f64(self) -> f64;
}

macro_rules! number {
    ($($t:ty),*) => { $(impl Number for $t { fn as_f64(self) -> f64 { self as f64 } })* };
}
number!(u32, u64, usize, f32);

/// Validates a server URL by hand (no URL crate): scheme, host, port, and the rule that
/// plain http only goes to this machine unless explicitly allowed.
pub(crate) fn check_url(url: &str) -> Result<(), (String, String)> {
    let bad = |m: String| {
        Err((
            m,
            "write the server's base URL, e.g. \"https://cert.example.gov.cn\"".to_owned(),
        ))
    };
    let (plain, rest) = if let Some(r) = url.strip_prefix("https://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (true, r)
    } else {
        return bad(format!("\"{url}\" does not start with https://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err((
            "the URL carries a user name or password".to_owned(),
            "remove it from the URL and put the credential in server.token or server.token_file"
                .to_owned(),
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return bad(format!("\"{url}\" has text after its [IPv6] host")),
            },
            None => return bad(format!("\"{url}\" has an unclosed [IPv6] host")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ".-:".contains(ch))
        && (authority.starts_with('[') || !host.contains(':'));
    if !host_ok {
        return bad(format!("\"{url}\" has no valid host name"));
    }
    if let Some(p) = port {
        if !p.parse::<u16>().is_ok_and(|p| p > 0) {
            return bad(format!("\"{url}\" has an invalid port \"{p}\""));
        }
    }
    let local = matches!(
        host.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "::1"
    );
    // No switch turns TLS off: plain http exposes ID numbers and faces on the wire.
    if plain && !local {
        return Err((
            format!("plain http:// to {host} would send records unencrypted"),
            "use https:// (for a private CA, also set server.ca_bundle); plain http is only \
             for a server on this machine (127.0.0.1, localhost, ::1)"
                .to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Result<(), String> {
        check_url(u).map_err(|(m, _)| m)
    }

    #[test]
    fn urls_accepted() {
        for ok in [
            "https://cert.example.gov.cn",
            "https://cert.example.gov.cn:8443/base/",
            "https://10.0.0.5",
            "https://[fd00::1]:443",
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://[::1]:8080",
        ] {
            assert_eq!(url(ok), Ok(()), "{ok}");
        }
        assert!(url("http://10.0.0.5:8080").is_err());
    }

    #[test]
    fn urls_rejected() {
        for bad in [
            "cert.example.gov.cn",
            "ftp://host",
            "https://",
            "https:///path",
            "https://host:0",
            "https://host:99999",
            "https://host:abc",
            "https://user:pw@host",
            "https://ho st",
            "https://[::1",
            "https://[::1]x",
            "http://10.0.0.5:8080",
            "http://cert.example.gov.cn",
        ] {
            assert!(url(bad).is_err(), "{bad}");
        }
        assert!(url("http://cert.example.gov.cn")
            .unwrap_err()
            .contains("unencrypted"));
    }

    #[test]
    fn bound_fix_words_open_and_closed_ranges() {
        assert_eq!(
            bound_fix("flow.max_attempts").unwrap(),
            "use a value from 1 to 10"
        );
        assert_eq!(
            bound_fix("thresholds.min_sharpness").unwrap(),
            "use a value of 0 or more"
        );
        assert_eq!(bound_fix("no.such"), None);
    }
}

//! `[flash]`: off by default, and when on, only within the photosensitivity limits.

use super::{ok, one, with, MINIMAL};
use crate::flow::FlashRule;

#[test]
fn off_by_default_and_recorded_before_required() {
    let c = ok(MINIMAL);
    assert!(!c.flash.enabled && !c.flash.required);
    assert_eq!(crate::driver::flow_params(&c).screen_flash, FlashRule::Off);
    let c = ok(&with("flash", "enabled = true"));
    assert_eq!(
        crate::driver::flow_params(&c).screen_flash,
        FlashRule::Recorded
    );
    let c = ok(&with("flash", "enabled = true\nrequired = true"));
    assert_eq!(
        crate::driver::flow_params(&c).screen_flash,
        FlashRule::Required
    );
    // The flow waits for the whole flash, its lag window and a margin.
    assert_eq!(
        crate::driver::flow_params(&c).flash_timeout_ms,
        11 * 600 + 300 + 2_000
    );
}

#[test]
fn unsafe_or_useless_settings_are_refused_with_the_line_and_the_fix() {
    for (line, key, says) in [
        ("step_ms = 200", "flash.step_ms", "photosensitivity"),
        ("fade_ms = 0", "flash.fade_ms", "no hard cuts"),
        ("max_brightness = 0.9", "flash.max_brightness", "0.05–0.45"),
        ("steps = 2", "flash.steps", "chance"),
        ("threshold = 1.5", "flash.threshold", "between 0 and 1"),
        ("max_lag_ms = 5000", "flash.max_lag_ms", "penalty"),
        ("required = true", "flash.required", "never pass"),
    ] {
        let p = one(&with("flash", line), key);
        assert!(p.message.contains(says), "{line}: {p}");
        assert!(!p.fix.is_empty());
        let shown = p.to_string();
        assert!(shown.contains("kiosk-config.toml:5:"), "{line}: {shown}");
    }
    let p = one(&with("flash", "flicker = true"), "flash.flicker");
    assert!(p.message.contains("unknown"), "{p}");
}

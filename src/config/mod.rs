//! Kiosk configuration. PLACEHOLDER: being implemented.

//! Certification flow. PLACEHOLDER: being implemented.

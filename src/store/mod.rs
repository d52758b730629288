//! Local store. PLACEHOLDER: being implemented.

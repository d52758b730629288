//! Keyboard-wedge scanner input. PLACEHOLDER: being implemented.

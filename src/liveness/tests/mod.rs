//! Behaviour of the whole tracker on synthetic sequences at 15 and 30 fps.

pub(crate) mod gen;

mod attacks;
mod blink;
mod movements;
mod props;

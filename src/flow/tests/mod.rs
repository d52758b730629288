//! Tests of the flow, driven only through `step`.

mod counter;
mod depth;
mod flash;
mod global;
mod harness;
mod plan;
mod positioning;
mod props;
mod session;
mod unmatched;
mod verdict;

//! Throughput measurements shared by `yao bench` and the criterion benches.

pub mod garbling;
pub mod ot;

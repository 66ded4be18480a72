//! Yao's protocol: channels, the oblivious-transfer drivers, the handshake
//! and the garbler's and evaluator's sessions, on top of the I/O-free core
//! (`yao-core`).

pub mod channel;
pub mod ot;
pub mod preprocess;
pub mod protocol;
pub mod report;

#[cfg(feature = "bench")]
pub mod bench;

pub use channel::{Channel, ChannelError, MemChannel, TcpChannel};

//! Deadlines for whole phases of the protocol (rule 3 of the channel's
//! rules, see [`crate::channel`]).
//!
//! A session's setup, the handshake and the base OTs, is a few small
//! messages of fixed size: it must be done within the channel's timeout
//! as a whole, so that a peer that trickles them a byte at a time cannot
//! stretch it to one timeout per round trip. Executions are bounded by the
//! channel's per-wait rule instead: their size follows the circuit, and a
//! long one must not be cut off.

use super::error::ProtocolError;
use crate::channel::{Channel, Deadline};

/// What a session's setup is called when its deadline passes.
pub const SETUP: &str = "the handshake and base OTs";

/// Runs `setup`, a session's handshake and base OTs, under one deadline:
/// the channel's timeout from now (none for a channel without timeout),
/// or an earlier deadline already set on the channel. The channel's
/// deadline is as before afterwards, on success and on error.
pub(crate) fn setup<C: Channel, T>(
    ch: &mut C,
    setup: impl FnOnce(&mut C) -> Result<T, ProtocolError>,
) -> Result<T, ProtocolError> {
    let Some(timeout) = ch.timeout() else {
        return setup(ch);
    };
    let before = ch.deadline();
    ch.set_deadline(Deadline::earliest(
        before,
        Some(Deadline::after(timeout, SETUP)),
    ));
    let result = setup(ch);
    ch.set_deadline(before);
    result
}

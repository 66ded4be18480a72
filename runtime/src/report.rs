//! One line for an error and all its causes.
//!
//! Errors of this workspace print each cause once: a wrapper either shows
//! its cause (`#[error(transparent)]`) or returns it from
//! [`Error::source`] and says only what it adds (see
//! [`crate::protocol::ProtocolError`], "Printing"). An error's `Display`
//! alone is therefore only its own layer; [`report`] walks the chain.

use std::error::Error;

/// `error`, then its source, then the source's source, and so on.
pub fn chain<'a>(
    error: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&e| e.source())
}

/// `error` and its causes, outermost first, joined with `: `, e.g. "during
/// the handshake: the peer closed the connection".
pub fn report(error: &(dyn Error + 'static)) -> String {
    chain(error)
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

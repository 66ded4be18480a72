//! The servers' check, before a session on share files, that each slot's
//! two shares are the two halves of one split.
//!
//! A share alone is uniformly random, so halves of two different splits
//! (a stale file a server kept from an earlier run, halves of two splits
//! mixed up, or a file someone replaced with one of their own) reconstruct a
//! random value and nothing in the computation notices. Every share file
//! names its split ([`SplitId`]), and both halves of one split name the
//! same one; so before the session starts each server sends the other a
//! digest of its split ids, slot by slot, and only if the digests differ
//! the ids themselves, so that both can say which slot is wrong.
//!
//! Wire format (on the session's connection, before the protocol's own
//! handshake, and only when a server uses `--shares`): both send a hello,
//! [`MAGIC`], the role byte (1 garbler, 2 evaluator), the circuit id and the
//! digest (32 bytes each), then read the peer's. When the digests differ, the
//! evaluator sends its split ids (16 bytes per element of every shared
//! input, in circuit order), then the garbler its own: one after the other,
//! so that neither waits to write while the other does too. Every length is
//! the reader's own (its circuit's element count), never the peer's.
//!
//! Split ids are not secret: they are random and say nothing about the
//! values. They are not authentication either: anyone who saw one file of a
//! split can make a file with its id. The check catches mistakes and
//! substitutions by someone who has not seen the other server's file, not a
//! forger who has.

use crate::share::{Origin, SplitId};
use std::sync::Arc;
use yao_compiler::ir::CircuitId;
use yao_compiler::Party;
use yao_runtime::channel::{Channel, ChannelError};

/// What a server using share files sends first: eight bytes no Yao
/// handshake starts with, so that a peer without share files fails at once
/// with a clear message instead of an unreadable one.
pub const MAGIC: [u8; 8] = *b"YAO-SHR\x01";

const HELLO_LEN: usize = 8 + 1 + 32 + 32;

/// What one server checks with the other: its role, its circuit and where
/// each element of its share groups came from (`share::Assembled::origins`).
#[derive(Clone, Debug)]
pub struct Splits {
    pub party: Party,
    pub circuit: CircuitId,
    pub origins: Vec<Arc<Origin>>,
}

impl Splits {
    /// The split ids of every element, in order, 16 bytes each.
    fn ids(&self) -> Vec<u8> {
        self.origins.iter().flat_map(|o| o.split.0).collect()
    }

    /// A hash of the circuit and every element's split id: equal on both
    /// servers exactly when each element's two shares come from one split.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new_derive_key("yao 2025 share-file split check v1");
        h.update(&self.circuit.0);
        h.update(&(self.origins.len() as u64).to_le_bytes());
        h.update(&self.ids());
        *h.finalize().as_bytes()
    }
}

/// Why the servers refused to compute on their share files.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("during the check of the share files")]
    Channel(#[from] ChannelError),
    #[error("the {peer} does not use share files (it runs without --shares, or is an older Yao): give both servers their share files with --shares, or neither")]
    PeerWithoutShares { peer: Party },
    #[error(
        "the peer is not a Yao server checking share files: it opened with bytes {found:02x?}"
    )]
    NotYao { found: Vec<u8> },
    #[error("the peer sent an unknown role byte {0}")]
    UnknownRole(u8),
    #[error("both servers are {role}s; one must be the garbler and the other the evaluator")]
    SameRole { role: Party },
    #[error("the peer has a different circuit: this server's circuit id is {ours}, the peer's is {theirs} (both must load the same circuit with the same options)")]
    CircuitMismatch { ours: String, theirs: String },
    #[error("{0}")]
    Mismatch(String),
}

/// The role byte of the hello, as in the protocol's handshake.
fn role_byte(party: Party) -> u8 {
    match party {
        Party::Garbler => 1,
        Party::Evaluator => 2,
    }
}

/// Runs the check on `ch` (the connection the session then uses): `Ok` when
/// the other server's shares come from the same splits, slot by slot.
pub fn check(ch: &mut impl Channel, splits: &Splits) -> Result<(), CheckError> {
    let digest = splits.digest();
    let mut hello = [0u8; HELLO_LEN];
    hello[..8].copy_from_slice(&MAGIC);
    hello[8] = role_byte(splits.party);
    hello[9..41].copy_from_slice(&splits.circuit.0);
    hello[41..].copy_from_slice(&digest);
    ch.write_all(&hello)?;
    ch.flush()?;

    let peer_party = match splits.party {
        Party::Garbler => Party::Evaluator,
        Party::Evaluator => Party::Garbler,
    };
    let mut peer = [0u8; HELLO_LEN];
    ch.read_exact(&mut peer[..8])?;
    if peer[..8] == yao_runtime::protocol::handshake::MAGIC {
        return Err(CheckError::PeerWithoutShares { peer: peer_party });
    }
    if peer[..8] != MAGIC {
        return Err(CheckError::NotYao {
            found: peer[..8].to_vec(),
        });
    }
    ch.read_exact(&mut peer[8..])?;
    match peer[8] {
        r if r == role_byte(splits.party) => {
            return Err(CheckError::SameRole { role: splits.party })
        }
        1 | 2 => {}
        other => return Err(CheckError::UnknownRole(other)),
    }
    if peer[9..41] != splits.circuit.0 {
        let theirs: String = peer[9..41].iter().map(|b| format!("{b:02x}")).collect();
        return Err(CheckError::CircuitMismatch {
            ours: splits.circuit.to_hex(),
            theirs,
        });
    }
    if peer[41..] == digest {
        return Ok(());
    }
    let ours = splits.ids();
    let mut theirs = vec![0u8; ours.len()];
    if splits.party == Party::Evaluator {
        ch.write_all(&ours)?;
        ch.flush()?;
        ch.read_exact(&mut theirs)?;
    } else {
        ch.read_exact(&mut theirs)?;
        ch.write_all(&ours)?;
        ch.flush()?;
    }
    Err(CheckError::Mismatch(mismatch(splits, &theirs)))
}

/// Most differing slots named after the first.
const MORE_SHOWN: usize = 8;

/// The message for split ids that differ: the first slot whose shares do not
/// belong together, described from this server's side (its file, provider
/// and split, and the other server's split), then the other slots that
/// differ.
fn mismatch(splits: &Splits, theirs: &[u8]) -> String {
    let differing: Vec<usize> = splits
        .origins
        .iter()
        .enumerate()
        .filter(|(e, o)| theirs[e * 16..e * 16 + 16] != o.split.0)
        .map(|(e, _)| e)
        .collect();
    let Some(&first) = differing.first() else {
        // Equal ids under different digests: the peer hashes differently.
        return "the servers' digests of their share files differ although every slot's split \
                matches: the other server runs another version of Yao"
            .to_string();
    };
    let origin = &splits.origins[first];
    let their_split = SplitId(
        theirs[first * 16..first * 16 + 16]
            .try_into()
            .unwrap_or([0; 16]),
    );
    // Elements of one whole-input file are named once, by that file's slot.
    let mut slots: Vec<String> = differing
        .iter()
        .map(|&e| splits.origins[e].slot.to_string())
        .collect();
    slots.dedup();
    let peer = match splits.party {
        Party::Garbler => "evaluator",
        Party::Evaluator => "garbler",
    };
    let mut text = format!(
        "slot {}: the garbler's share belongs to another split than the evaluator's (stale or \
         mixed share files): this server's `{}` from provider `{}` is half of split {}, the \
         {peer}'s share is half of split {their_split}; the provider must share again (`yao \
         share`) and each server must keep only its new file",
        origin.slot,
        origin.path.display(),
        origin.provider,
        origin.split,
    );
    let others = &slots[1..];
    if !others.is_empty() {
        let mut shown: Vec<String> = others.iter().take(MORE_SHOWN).cloned().collect();
        if others.len() > MORE_SHOWN {
            shown.push(format!("and {} more", others.len() - MORE_SHOWN));
        }
        text.push_str(&format!(
            " ({} other slot{} differ{} too: {})",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            if others.len() == 1 { "s" } else { "" },
            shown.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::Slot;
    use yao_runtime::MemChannel;

    fn splits(party: Party, ids: &[u8]) -> Splits {
        let origins = ids
            .iter()
            .enumerate()
            .map(|(k, &id)| {
                Arc::new(Origin {
                    slot: Slot {
                        input: "grades".into(),
                        index: Some(k as u32),
                    },
                    split: SplitId([id; 16]),
                    provider: format!("pupil{k}"),
                    path: format!("{}/pupil{k}.share", party.name()).into(),
                })
            })
            .collect();
        Splits {
            party,
            circuit: CircuitId([7; 32]),
            origins,
        }
    }

    /// Runs both servers' checks over an in-memory pair.
    fn both(g: &Splits, e: &Splits) -> (Result<(), CheckError>, Result<(), CheckError>) {
        let (mut a, mut b) = MemChannel::pair();
        std::thread::scope(|s| {
            let garbler = s.spawn(move || check(&mut a, g));
            let evaluator = check(&mut b, e);
            (garbler.join().unwrap(), evaluator)
        })
    }

    #[test]
    fn equal_splits_pass_and_differing_ones_name_the_slot_on_both_sides() {
        let g = splits(Party::Garbler, &[1, 2, 3, 4]);
        let (rg, re) = both(&g, &splits(Party::Evaluator, &[1, 2, 3, 4]));
        assert!(rg.is_ok() && re.is_ok(), "{rg:?} {re:?}");
        let (rg, re) = both(&g, &splits(Party::Evaluator, &[1, 9, 3, 8]));
        for (side, r) in [("garbler", rg), ("evaluator", re)] {
            let text = r.unwrap_err().to_string();
            assert!(
                text.starts_with("slot grades[1]: the garbler's share belongs to another split")
                    && text.contains("1 other slot differs too: grades[3]")
                    && text.contains(&format!("`{side}/pupil1.share`")),
                "{side}: {text}"
            );
        }
    }

    #[test]
    fn other_circuits_and_roles_are_refused() {
        let g = splits(Party::Garbler, &[1]);
        let mut other = splits(Party::Evaluator, &[1]);
        other.circuit = CircuitId([8; 32]);
        let (rg, re) = both(&g, &other);
        assert!(
            matches!(rg, Err(CheckError::CircuitMismatch { .. })),
            "{rg:?}"
        );
        assert!(
            matches!(re, Err(CheckError::CircuitMismatch { .. })),
            "{re:?}"
        );
        let (rg, _) = both(&g, &splits(Party::Garbler, &[1]));
        assert!(matches!(rg, Err(CheckError::SameRole { .. })), "{rg:?}");
    }
}

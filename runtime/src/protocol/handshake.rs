//! The handshake: each party sends one fixed-size hello and checks the
//! peer's. Both send before either reads, so both see the same mismatch and
//! both report it, naming both circuit ids.

use super::error::{During, Phase, ProtocolError};
use crate::channel::Channel;
use crate::ot::Extension;
use yao_core::ir::CircuitId;
use yao_core::Scheme;

/// Eight bytes that no other protocol starts with, so that talking to the
/// wrong port fails at once with a clear message.
pub const MAGIC: [u8; 8] = *b"YAO-2PC\0";
/// Bumped on every incompatible change of the wire format or of what both
/// sides must agree on. 3: AND numbers (hash tweaks) run on across the
/// executions of a session ([`yao_core::tweak`]); a version-2 peer restarts them
/// and would fail every execution after the first. 4: a windowed circuit
/// runs in a session like a whole one (precomputed OTs, tagged messages,
/// AND numbers from the session) instead of a protocol of its own; the
/// hello names the garbling scheme ([`Settings`]). 5: the hello names the
/// security level ([`Security`]). 6: the malicious setup runs one
/// public-key base OT and bootstraps the second extension's base OTs from
/// the first ([`yao_core::auth::bootstrap`]); its correlated OTs are
/// SoftSpokenOT with `k = 4` under the KOS15 check (a tree message per
/// extension); a malicious session sends its execution count first.
pub const VERSION: u16 = 6;

/// What both parties must agree on besides the circuit, checked in the
/// handshake: a peer with other settings is refused by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How AND gates are garbled ([`yao_core::scheme`]).
    pub scheme: Scheme,
    /// How the evaluator's input labels are extended from the base OTs.
    pub ot: Extension,
    /// Against which peer the session is secure. A semi-honest session
    /// refuses [`Security::Malicious`] (the malicious protocol is
    /// [`crate::protocol::malicious`]), so a hello never claims a level the
    /// party does not run.
    pub security: Security,
}

/// The security level: which peer a run is secure against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// A peer that follows the protocol (Yao with half-gates or
    /// three-halves; SECURITY.md).
    #[default]
    SemiHonest,
    /// A peer that deviates arbitrarily: authenticated garbling (WRK17) on
    /// malicious preprocessing.
    Malicious,
}

impl Security {
    /// Both levels.
    pub const ALL: [Security; 2] = [Security::SemiHonest, Security::Malicious];

    /// The byte that names the level in the hello.
    pub fn code(self) -> u8 {
        match self {
            Security::SemiHonest => 1,
            Security::Malicious => 2,
        }
    }

    /// The level named by `code`, if any.
    pub fn from_code(code: u8) -> Option<Security> {
        Security::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The name used on the command line (`--security`).
    pub fn name(self) -> &'static str {
        match self {
            Security::SemiHonest => "semi-honest",
            Security::Malicious => "malicious",
        }
    }
}

impl std::fmt::Display for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Security {
    type Err = String;

    fn from_str(s: &str) -> Result<Security, String> {
        Security::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| format!("unknown security level `{s}` (semi-honest or malicious)"))
    }
}

impl Default for Settings {
    /// Half-gates (the fastest to compute; three-halves trades garbling
    /// speed for a fifth fewer bytes) and SoftSpokenOT with `k = 4` (4
    /// bytes per evaluator input bit instead of IKNP's 16, at a CPU cost
    /// that keeps up with links of about 2 Gbit/s: see
    /// [`Extension::SOFTSPOKEN_DEFAULT`]).
    fn default() -> Settings {
        Settings {
            scheme: Scheme::HalfGates,
            ot: Extension::SOFTSPOKEN_DEFAULT,
            security: Security::SemiHonest,
        }
    }
}

/// A party's role in the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Garbler = 1,
    Evaluator = 2,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Garbler => "garbler",
            Role::Evaluator => "evaluator",
        }
    }
}

const HELLO_LEN: usize = 8 + 2 + 1 + 32 + 3;

/// Sends our hello, reads the peer's and checks magic, version, roles,
/// circuit id and settings, in that order.
pub fn handshake(
    ch: &mut impl Channel,
    role: Role,
    id: &CircuitId,
    settings: Settings,
) -> Result<(), ProtocolError> {
    let mut hello = [0u8; HELLO_LEN];
    hello[..8].copy_from_slice(&MAGIC);
    hello[8..10].copy_from_slice(&VERSION.to_le_bytes());
    hello[10] = role as u8;
    hello[11..43].copy_from_slice(&id.0);
    hello[43] = settings.scheme.code();
    hello[44] = settings.ot.code();
    hello[45] = settings.security.code();
    ch.write_all(&hello).during(Phase::Handshake)?;
    ch.flush().during(Phase::Handshake)?;

    let mut peer = [0u8; HELLO_LEN];
    // Read the magic first, so that a peer that is not Yao at all is named as
    // such even when it sends fewer bytes than a whole hello.
    ch.read_exact(&mut peer[..8]).during(Phase::Handshake)?;
    if peer[..8] != MAGIC {
        return Err(ProtocolError::NotYao {
            found: peer[..8].to_vec(),
        });
    }
    ch.read_exact(&mut peer[8..]).during(Phase::Handshake)?;
    let version = u16::from_le_bytes([peer[8], peer[9]]);
    if version != VERSION {
        return Err(ProtocolError::Version {
            ours: VERSION,
            theirs: version,
        });
    }
    match peer[10] {
        r if r == role as u8 => return Err(ProtocolError::SameRole { role: role.name() }),
        1 | 2 => {}
        other => return Err(ProtocolError::UnknownRole(other)),
    }
    let theirs = CircuitId(peer[11..43].try_into().expect("32 bytes"));
    if theirs != *id {
        return Err(ProtocolError::CircuitMismatch {
            ours: id.to_hex(),
            theirs: theirs.to_hex(),
        });
    }
    match Scheme::from_code(peer[43]) {
        Some(s) if s == settings.scheme => {}
        Some(s) => {
            return Err(ProtocolError::SchemeMismatch {
                ours: settings.scheme,
                theirs: s,
            })
        }
        None => return Err(ProtocolError::UnknownScheme(peer[43])),
    }
    match Extension::from_code(peer[44]) {
        Some(e) if e == settings.ot => {}
        Some(e) => {
            return Err(ProtocolError::OtMismatch {
                ours: settings.ot,
                theirs: e,
            })
        }
        None => return Err(ProtocolError::UnknownOt(peer[44])),
    }
    match Security::from_code(peer[45]) {
        Some(l) if l == settings.security => Ok(()),
        Some(l) => Err(ProtocolError::SecurityMismatch {
            ours: settings.security,
            theirs: l,
        }),
        None => Err(ProtocolError::UnknownSecurity(peer[45])),
    }
}

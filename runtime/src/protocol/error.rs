//! Protocol errors: each says what happened and in which phase.

use crate::channel::ChannelError;
use crate::ot::OtError;
use std::fmt;
use yao_core::evaluator::EvalError;
use yao_core::garbler::GarbleError;
use yao_core::plan::PlanError;

/// Where in the protocol an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Handshake,
    ObliviousTransfer,
    GarblerInputs,
    GarbledTables,
    OutputDecoding,
    OutputReturn,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Handshake => "the handshake",
            Phase::ObliviousTransfer => "oblivious transfer of the evaluator's input labels",
            Phase::GarblerInputs => "transfer of the garbler's input labels",
            Phase::GarbledTables => "the garbled-table stream",
            Phase::OutputDecoding => "output decoding",
            Phase::OutputReturn => "the return of the outputs to the garbler",
        })
    }
}

/// Why a session failed.
///
/// # Printing
///
/// Every error type of the workspace follows one rule: an error that wraps
/// another either *shows* it (`#[error(transparent)]`: its message is the
/// cause's, and its source is the cause's source) or *returns* it from
/// [`std::error::Error::source`] and says only what it adds, never both.
/// [`ProtocolError::Channel`], for one, reads "during the handshake" and its
/// source "the peer closed the connection". So each cause is printed once
/// when the chain is walked, and `Display` alone tells only the outermost
/// layer: print the chain joined with `: ` ([`crate::report::report`], or
/// `anyhow`'s `{:#}`).
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("during {phase}")]
    Channel { phase: Phase, source: ChannelError },
    #[error(
        "the peer is not a Yao party: it opened with bytes {found:02x?} instead of the Yao magic"
    )]
    NotYao { found: Vec<u8> },
    #[error("the peer speaks Yao protocol version {theirs}, this party speaks version {ours}")]
    Version { ours: u16, theirs: u16 },
    #[error("both parties are {role}s; one must be the garbler and the other the evaluator")]
    SameRole { role: &'static str },
    #[error("the peer sent an unknown role byte {0}")]
    UnknownRole(u8),
    #[error(
        "the peer has a different circuit: this party's circuit id is {ours}, the peer's is {theirs} \
         (both must load the same circuit with the same options)"
    )]
    CircuitMismatch { ours: String, theirs: String },
    /// The parties chose different security levels.
    #[error(
        "the peer runs at security level {theirs}, this party at {ours} (both must use the same --security)"
    )]
    SecurityMismatch {
        ours: super::handshake::Security,
        theirs: super::handshake::Security,
    },
    #[error("the peer named an unknown security level (byte {0}); it may be a newer Yao")]
    UnknownSecurity(u8),
    /// A semi-honest session was asked to run at another level.
    #[error("this session runs the semi-honest protocol; security level {0} needs the malicious driver (yao_runtime::protocol::malicious)")]
    WrongLevel(super::handshake::Security),
    /// The parties chose different garbling schemes.
    #[error(
        "the peer garbles with {theirs}, this party with {ours} (both must use the same --scheme)"
    )]
    SchemeMismatch {
        ours: yao_core::Scheme,
        theirs: yao_core::Scheme,
    },
    #[error("the peer named an unknown garbling scheme (byte {0}); it may be a newer Yao")]
    UnknownScheme(u8),
    /// The parties chose different OT extensions.
    #[error(
        "the peer extends OTs with {theirs}, this party with {ours} (both must use the same --ot)"
    )]
    OtMismatch {
        ours: crate::ot::Extension,
        theirs: crate::ot::Extension,
    },
    #[error("the peer named an unknown OT extension (byte {0}); it may be a newer Yao")]
    UnknownOt(u8),
    /// The circuit has an AND three-halves does not take.
    #[error(transparent)]
    DependentAnd(#[from] yao_core::three_halves::DependentAnd),
    #[error("during {phase}")]
    Ot { phase: Phase, source: OtError },
    /// The circuit could not be planned (the schedule both parties garble
    /// and evaluate by).
    #[error("cannot garble this circuit")]
    Plan(#[from] PlanError),
    /// The thread building the schedule panicked.
    #[error("building the garbling schedule failed")]
    PlanPanicked,
    /// The garbler refused its inputs or the circuit.
    #[error(transparent)]
    Garble(#[from] GarbleError),
    /// The evaluator refused its inputs, the tables or the decoding bits.
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(
        "the evaluator returned a label for bit {bit} of output `{output}` that is neither of its two \
         labels: the peer sent garbage or evaluated a different garbling"
    )]
    ForgedOutput { output: String, bit: usize },
    #[error("an earlier execution of this session failed; start a new session")]
    SessionFailed,
    #[error(transparent)]
    TweaksExhausted(#[from] yao_core::tweak::TweaksExhausted),
    #[error(
        "the garbler rejected the outputs this party returned (they did not match its garbling)"
    )]
    OutputsRejected,
    #[error(
        "the peer sent an unexpected message byte {found} during {phase} (expected {expected})"
    )]
    Unexpected {
        phase: Phase,
        found: u8,
        expected: &'static str,
    },
    #[error(
        "the evaluator sent a batch of {count} precomputed OTs (at most {max}, and only when fewer \
         than one execution's are left; {available} were)"
    )]
    Refill {
        count: u64,
        max: usize,
        available: usize,
    },
    #[error("the evaluator announced more than {max} executions ahead of the garbler")]
    RanAhead { max: usize },
    /// A streamed circuit (see [`yao_core::window`]) could not be read or run.
    #[error(transparent)]
    Stream(#[from] yao_core::window::WindowRunError),
    /// A party was given values for more or fewer input groups than the
    /// circuit gives it.
    #[error("the {party} has {expected} input groups, but values for {found} were given")]
    InputCount {
        party: &'static str,
        expected: usize,
        found: usize,
    },
    /// A party's value for one input group has the wrong number of bits.
    #[error("input group `{group}` of the {party} takes {expected} bits, but {found} were given")]
    InputWidth {
        party: &'static str,
        /// The group's name.
        group: String,
        expected: usize,
        found: usize,
    },
}

impl ProtocolError {
    /// True when the peer went away or went silent (or nearly: a deadline
    /// passed), rather than misbehaving.
    pub fn is_disconnect(&self) -> bool {
        match self {
            ProtocolError::Channel { source, .. }
            | ProtocolError::Ot {
                source: OtError::Channel(source),
                ..
            } => source.is_disconnect(),
            _ => false,
        }
    }
}

/// Attaches the phase to channel errors: `ch.recv_u64().during(Phase::X)?`.
pub(crate) trait During<T> {
    fn during(self, phase: Phase) -> Result<T, ProtocolError>;
}

impl<T> During<T> for Result<T, ChannelError> {
    fn during(self, phase: Phase) -> Result<T, ProtocolError> {
        self.map_err(|source| ProtocolError::Channel { phase, source })
    }
}

impl<T> During<T> for Result<T, OtError> {
    fn during(self, phase: Phase) -> Result<T, ProtocolError> {
        self.map_err(|source| ProtocolError::Ot { phase, source })
    }
}

impl From<yao_core::ir::GateSourceError> for ProtocolError {
    fn from(e: yao_core::ir::GateSourceError) -> Self {
        ProtocolError::Stream(e.into())
    }
}

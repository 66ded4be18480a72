//! Errors print each cause once: a wrapper either shows its cause
//! (`#[error(transparent)]`) or returns it from `source` and says only what
//! it adds, never both (see `yao_runtime::protocol::ProtocolError`,
//! "Printing"). These tests walk the source chains of representative errors,
//! made the way the code makes them where that is cheap, and check that no
//! message repeats one further down its chain.

use std::error::Error;
use std::io;
use yao_compiler::bristol::{self, Options};
use yao_compiler::bristol_windowed::{WindowedBristol, WindowedBristolError};
use yao_core::evaluator::{EvalError, Evaluator};
use yao_core::garbler::{GarbleError, Garbler};
use yao_core::ir::{Circuit, Gate, GateSourceError, Input, Output, Party, ValueType};
use yao_core::plan::Plan;
use yao_core::window::WindowRunError;
use yao_core::Delta;
use yao_runtime::channel::ChannelError;
use yao_runtime::ot::{MessageError, OtError};
use yao_runtime::protocol::{
    EvaluatorSession, EvaluatorSetup, GarblerSession, Phase, ProtocolError,
};
use yao_runtime::report::{chain, report};
use yao_runtime::MemChannel;

/// The messages of `error`'s chain, outermost first, after checking that
/// none contains a message further down (the "printed once" rule) and that
/// none is empty.
fn messages(error: &(dyn Error + 'static)) -> Vec<String> {
    let texts: Vec<String> = chain(error).map(|e| e.to_string()).collect();
    for (i, outer) in texts.iter().enumerate() {
        assert!(!outer.is_empty(), "an empty message in {texts:?}");
        for inner in &texts[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "`{outer}` repeats its cause `{inner}`: {texts:?}"
            );
        }
    }
    texts
}

/// `a & b` over one garbler bit and one evaluator bit.
fn and() -> Circuit {
    let bit = |name: &str, party, wire| Input {
        name: name.into(),
        party,
        ty: ValueType::Bool,
        wires: vec![wire],
    };
    Circuit {
        name: "and".into(),
        num_wires: 3,
        inputs: vec![bit("a", Party::Garbler, 0), bit("b", Party::Evaluator, 1)],
        outputs: vec![Output {
            name: "o".into(),
            ty: ValueType::Bool,
            wires: vec![2],
        }],
        gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
    }
}

/// `and()` with its gate reading a wire that does not exist.
fn invalid() -> Circuit {
    let mut c = and();
    c.gates[0] = Gate::And {
        a: 0,
        b: 99,
        out: 2,
    };
    c
}

#[test]
fn a_garbling_error_in_a_protocol_error_is_printed_once() {
    // The garbler's refusal, as the protocol layer carries it.
    let garble = Garbler::new(&invalid(), Delta::random())
        .err()
        .expect("an invalid circuit is refused");
    assert!(matches!(garble, GarbleError::Circuit(_)), "{garble:?}");
    let err = ProtocolError::from(garble);
    assert!(matches!(err, ProtocolError::Garble(_)), "{err:?}");
    let texts = messages(&err);
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[0], "cannot garble this circuit");
    assert!(texts[1].starts_with("wire 99 is out of range"), "{texts:?}");
    assert_eq!(report(&err), texts.join(": "));

    // The same circuit refused by the session's own planning.
    let err = EvaluatorSetup::new(&invalid())
        .err()
        .expect("an invalid circuit is refused before connecting");
    assert!(matches!(err, ProtocolError::Plan(_)), "{err:?}");
    assert_eq!(messages(&err), texts);

    // The evaluator's refusal, and a window of a streamed circuit.
    let eval = Evaluator::new(&invalid()).err().expect("refused");
    assert!(matches!(eval, EvalError::Circuit(_)), "{eval:?}");
    let err = ProtocolError::from(eval);
    assert_eq!(messages(&err)[1], texts[1]);
    let plan = Plan::new(&invalid()).expect_err("refused");
    let err = ProtocolError::from(WindowRunError::Plan {
        window: 3,
        error: plan,
    });
    assert_eq!(messages(&err), ["cannot plan window 3", texts[1].as_str()]);

    // A leaf of the garbler, shown as it is.
    let err = ProtocolError::from(GarbleError::AlreadyStarted);
    assert_eq!(
        messages(&err),
        ["input labels cannot change once garbling has started"]
    );
}

#[test]
fn a_channel_error_during_a_phase_is_printed_once() {
    // A garbler that hangs up before the handshake.
    let (ours, theirs) = MemChannel::pair();
    drop(theirs);
    let circuit = and();
    let err = EvaluatorSession::start(ours, &circuit)
        .err()
        .expect("the peer is gone");
    assert!(
        matches!(
            err,
            ProtocolError::Channel {
                phase: Phase::Handshake,
                source: ChannelError::Closed
            }
        ),
        "{err:?}"
    );
    assert!(err.is_disconnect());
    assert_eq!(
        messages(&err),
        ["during the handshake", "the peer closed the connection"]
    );
    assert_eq!(
        report(&err),
        "during the handshake: the peer closed the connection"
    );

    // The same inside oblivious transfer: the OT layer adds nothing to a
    // channel error, the protocol names the phase.
    let err = ProtocolError::Ot {
        phase: Phase::ObliviousTransfer,
        source: OtError::Channel(ChannelError::Closed),
    };
    assert!(err.is_disconnect());
    assert_eq!(
        report(&err),
        "during oblivious transfer of the evaluator's input labels: the peer closed the connection"
    );
    messages(&err);
    let err = ProtocolError::Ot {
        phase: Phase::ObliviousTransfer,
        source: OtError::Message(MessageError::CheckFailed {
            what: "the sender's proof",
        }),
    };
    assert_eq!(messages(&err).len(), 2);

    // An I/O error under the channel, under the evaluator.
    let io = io::Error::new(io::ErrorKind::PermissionDenied, "no entry");
    let err = ProtocolError::Channel {
        phase: Phase::GarbledTables,
        source: ChannelError::from(io),
    };
    assert_eq!(
        messages(&err),
        [
            "during the garbled-table stream",
            "network error",
            "no entry"
        ]
    );
}

#[test]
fn input_count_and_width_are_separate_errors() {
    let circuit = and();
    let (g, e) = MemChannel::pair();
    std::thread::scope(|s| {
        let garbler = s.spawn(|| {
            let mut session = GarblerSession::start(g, &circuit)?;
            session.execute(&[vec![true]]).map(|(outputs, _)| outputs)
        });
        let mut session = EvaluatorSession::start(e, &circuit).unwrap();
        let err = session.execute(&[]).unwrap_err();
        assert!(
            matches!(
                err,
                ProtocolError::InputCount {
                    party: "evaluator",
                    expected: 1,
                    found: 0
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            messages(&err),
            ["the evaluator has 1 input groups, but values for 0 were given"]
        );
        let err = session.execute(&[vec![true, false]]).unwrap_err();
        assert!(
            matches!(&err, ProtocolError::InputWidth { party: "evaluator", group, expected: 1, found: 2 } if group == "b"),
            "{err:?}"
        );
        assert_eq!(
            messages(&err),
            ["input group `b` of the evaluator takes 1 bits, but 2 were given"]
        );
        // A caller's mistake does not end the session.
        let (out, _) = session.execute(&[vec![true]]).unwrap();
        assert_eq!(out, [vec![true]]);
        assert_eq!(garbler.join().unwrap().unwrap(), [vec![true]]);
    });
}

#[test]
fn compiler_errors_are_printed_once() {
    // A gate line that breaks a wiring rule: the line, then the rule.
    let text = "1 3\n1 1\n1 1\n\n2 1 0 7 2 AND\n";
    let err = bristol::parse("x", text, &Options::default()).unwrap_err();
    let texts = messages(&err);
    assert_eq!(texts[0], "line 5", "{texts:?}");
    assert!(texts[1].starts_with("wire 7 is out of range"), "{texts:?}");
    // The same through the streaming reader, and a file that is not there.
    let err = WindowedBristol::from_bytes("x", text.as_bytes().to_vec(), &Options::default())
        .unwrap_err();
    assert_eq!(messages(&err), texts);
    let err = WindowedBristol::open(
        std::path::Path::new("/nonexistent/yao/x.txt"),
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(err, WindowedBristolError::Io { .. }), "{err:?}");
    let texts = messages(&err);
    assert_eq!(texts[0], "cannot read /nonexistent/yao/x.txt", "{texts:?}");
    assert_eq!(texts.len(), 2, "{texts:?}");
    // Carried by the protocol (a streamed party), still once.
    messages(&ProtocolError::from(GateSourceError::from(err)));
}

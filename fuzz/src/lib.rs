//! The fuzzing harness: one entry point per input surface of Yao.
//!
//! Each function takes the fuzzer's bytes, feeds them to the real entry point
//! (the DSL compiler, the Bristol importer, the value parser, or a party
//! reading what its peer sent) and checks what must hold for *any* input:
//! no panic, no hang, no unbounded allocation (those are caught by libFuzzer
//! itself) and a few round-trip properties. A function returns `Err` with the
//! entry point's error message when the input is refused, `Ok` when it is
//! accepted; it panics only when a property is broken.
//!
//! The same file is compiled into the fuzz targets (`fuzz_targets/*.rs`) and,
//! through `#[path]`, into the main workspace's `tests/fuzz_regressions.rs`,
//! which replays every input under `fuzz/regressions/` and `fuzz/seeds/`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;
use yao_compiler::bristol::{self, BitOrder, Format, Options};
use yao_compiler::ir::{Circuit, CircuitId, Party, ValueType};
use yao_compiler::lang;
use yao_compiler::value::Value;
use yao_runtime::block::{Block, Delta};
use yao_runtime::channel::{Channel, ChannelError, Traffic};
use yao_runtime::ot::{base, iknp};
use yao_runtime::protocol::handshake::{self, Role, MAGIC, VERSION};
use yao_runtime::protocol::{EvaluatorSession, GarblerSession};

/// What a harness function reports: `Err(message)` when the entry point
/// refused the input (the message is the error it gave).
pub type Outcome = Result<(), String>;

/// A harness function.
pub type Target = fn(&[u8]) -> Outcome;

/// The harness functions by name, for the regression test: the fuzz
/// targets and `dsl_any_path`.
pub const TARGETS: [(&str, Target); 8] = [
    ("dsl_any_path", dsl_any_path),
    ("dsl", dsl),
    ("bristol", bristol),
    ("value", value),
    ("handshake", handshake),
    ("ot_messages", ot_messages),
    ("evaluator_stream", evaluator_stream),
    ("garbler_stream", garbler_stream),
];

/// Reads the fuzzer's bytes as a sequence of small decisions; past the end
/// every read is zero, so any input decodes.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn rest(self) -> &'a [u8] {
        self.0
    }
}

// ---------------------------------------------------------------------------
// Text a user writes.

/// The DSL front end: lexing, parsing, `use` loading, type checking,
/// lowering and optimization (`lang::compile_str_in`). An accepted program
/// must give a valid circuit that evaluates; a refused one must give
/// diagnostics that render. A compiler panic is caught by the compiler and
/// turned into an "internal compiler error" diagnostic, which is a bug here.
pub fn dsl(data: &[u8]) -> Outcome {
    let Ok(source) = std::str::from_utf8(data) else {
        return Err("not UTF-8".into());
    };
    // `use` reads files: keep the fuzzer inside the circuits directory and
    // away from device files (`use "/dev/zero"` is a known issue, replayed
    // by `dsl_any_path`; here it would only exhaust memory).
    if ["dev", "proc", "sys", "../", "/..", "fd/"]
        .iter()
        .any(|p| source.contains(p))
    {
        return Err("skipped: names a path outside the circuits directory".into());
    }
    dsl_any_path(data)
}

/// The DSL front end without the fuzz target's guard on `use` paths: for
/// regression inputs that `use` special files (not a fuzz target).
pub fn dsl_any_path(data: &[u8]) -> Outcome {
    let Ok(source) = std::str::from_utf8(data) else {
        return Err("not UTF-8".into());
    };
    match lang::compile_str_in("fuzz.yao", source, Some(circuits_dir())) {
        Ok(circuit) => {
            circuit
                .validate()
                .expect("the compiler produced an invalid circuit");
            let stats = circuit.stats();
            assert!(stats.and + stats.xor + stats.not <= circuit.gates.len() as u64);
            let _ = circuit.id();
            eval_both_ways(&circuit);
            Ok(())
        }
        Err(diagnostics) => {
            let text = diagnostics.to_string();
            assert!(
                !text.contains("internal compiler error"),
                "the compiler panicked:\n{text}"
            );
            assert!(!text.is_empty(), "empty diagnostics");
            Err(text)
        }
    }
}

/// The repository's `circuits/` (this file is compiled from the fuzz crate
/// and from the root package, whose manifest directories differ).
fn circuits_dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        [here.join("circuits"), here.join("../circuits")]
            .into_iter()
            .find(|d| d.join("millionaires.yao").is_file())
            .unwrap_or_else(|| here.to_path_buf())
    })
}

/// Evaluates `circuit` on all-zero and all-one inputs: it must not fail, and
/// every output group must have its declared width.
fn eval_both_ways(circuit: &Circuit) {
    if circuit.gates.len() > 1 << 20 {
        return;
    }
    for bit in [false, true] {
        let inputs: Vec<Vec<bool>> = circuit
            .inputs
            .iter()
            .map(|i| vec![bit; i.wires.len()])
            .collect();
        let outputs = circuit
            .eval_plain(&inputs)
            .expect("a valid circuit evaluates");
        assert_eq!(outputs.len(), circuit.outputs.len());
        for (o, bits) in circuit.outputs.iter().zip(&outputs) {
            assert_eq!(o.wires.len(), bits.len());
        }
    }
}

/// The Bristol importer with fuzzed options. An accepted file must be a valid
/// circuit, and exporting and re-importing it must give a circuit that
/// computes the same function.
pub fn bristol(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let flags = b.u8();
    let parties = b.u8();
    let Ok(text) = std::str::from_utf8(b.rest()) else {
        return Err("not UTF-8".into());
    };
    let options = Options {
        format: match flags % 3 {
            0 => None,
            1 => Some(Format::Fashion),
            _ => Some(Format::Old),
        },
        bit_order: if flags & 4 == 0 {
            BitOrder::Lsb0
        } else {
            BitOrder::Msb0
        },
        parties: (flags & 8 != 0).then(|| {
            (0..(flags >> 4) as usize)
                .map(|k| {
                    if parties >> (k % 8) & 1 == 0 {
                        Party::Garbler
                    } else {
                        Party::Evaluator
                    }
                })
                .collect()
        }),
    };
    let circuit = bristol::parse("fuzz", text, &options).map_err(|e| e.to_string())?;
    circuit
        .validate()
        .expect("the importer produced an invalid circuit");
    if circuit.gates.len() > 1 << 16 || circuit.num_wires > 1 << 16 {
        return Ok(());
    }
    let exported = bristol::export(&circuit);
    let again = bristol::parse(
        "fuzz",
        &exported,
        &Options {
            format: Some(Format::Fashion),
            bit_order: BitOrder::Lsb0,
            parties: Some(circuit.inputs.iter().map(|i| i.party).collect()),
        },
    )
    .unwrap_or_else(|e| panic!("the exported file does not import: {e}\n{exported}"));
    for pattern in [0u64, u64::MAX, 0x5555_5555_5555_5555, 0x0123_4567_89ab_cdef] {
        let inputs: Vec<Vec<bool>> = circuit
            .inputs
            .iter()
            .map(|i| {
                (0..i.wires.len())
                    .map(|k| pattern.rotate_left(k as u32) & 1 == 1)
                    .collect()
            })
            .collect();
        assert_eq!(
            circuit.eval_plain(&inputs).expect("valid circuit"),
            again.eval_plain(&inputs).expect("valid circuit"),
            "export changed the function\n{exported}"
        );
    }
    Ok(())
}

/// Reads a value type from the fuzzer's bytes: the types a circuit can give
/// a group (widths up to the DSL's largest, arrays, tuples, nesting).
fn value_type(b: &mut Bytes, depth: usize) -> ValueType {
    let tag = b.u8();
    match if depth >= 4 { tag % 3 } else { tag % 5 } {
        0 => ValueType::Bool,
        1 => ValueType::UInt(u32::from(b.u16()) % 600),
        2 => ValueType::SInt(u32::from(b.u16()) % 600),
        3 => {
            let n = match b.u8() {
                255 => u32::MAX,
                n => u32::from(n % 17),
            };
            ValueType::Array(Box::new(value_type(b, depth + 1)), n)
        }
        _ => {
            let n = b.u8() % 5;
            ValueType::Tuple((0..n).map(|_| value_type(b, depth + 1)).collect())
        }
    }
}

/// Input values: `Value::parse` of arbitrary text, then `encode` against an
/// arbitrary type. Printing a parsed value and parsing it again gives the
/// same value (in decimal and in hex), and encoding, decoding and encoding
/// again gives the same bits.
pub fn value(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let ty = value_type(&mut b, 0);
    let Ok(text) = std::str::from_utf8(b.rest()) else {
        return Err("not UTF-8".into());
    };
    let v = Value::parse(text).map_err(|e| e.to_string())?;
    assert_eq!(Value::parse(&v.to_string()).as_ref(), Ok(&v), "{v}");
    assert_eq!(Value::parse(&v.to_hex_string()).as_ref(), Ok(&v), "{v}");
    let bits = v.encode(&ty).map_err(|e| e.to_string())?;
    assert_eq!(bits.len() as u64, ty.width(), "{v} as {ty}");
    let back = Value::decode(&bits, &ty).expect("the width matches");
    assert_eq!(back.encode(&ty).as_ref(), Ok(&bits), "{v} as {ty}");
    Ok(())
}

// ---------------------------------------------------------------------------
// Bytes a peer sends.

/// A channel whose incoming bytes are whatever the harness puts in its
/// inbox; when they run out the peer has "closed the connection". What the
/// party sends is counted and dropped.
#[derive(Clone, Default)]
pub struct Feed(Rc<RefCell<FeedState>>);

#[derive(Default)]
struct FeedState {
    inbox: Vec<u8>,
    pos: usize,
    traffic: Traffic,
}

impl Feed {
    /// Replaces what the peer will have sent.
    pub fn set(&self, bytes: &[u8]) {
        let mut s = self.0.borrow_mut();
        s.inbox.clear();
        s.inbox.extend_from_slice(bytes);
        s.pos = 0;
    }
}

impl Channel for Feed {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.0.borrow_mut().traffic.sent += data.len() as u64;
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let mut s = self.0.borrow_mut();
        let end = s.pos + buf.len();
        if end > s.inbox.len() {
            s.pos = s.inbox.len();
            return Err(ChannelError::Closed);
        }
        buf.copy_from_slice(&s.inbox[s.pos..end]);
        s.pos = end;
        s.traffic.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        Ok(())
    }

    fn traffic(&self) -> Traffic {
        self.0.borrow().traffic
    }
}

/// Small circuits for the protocol targets, in Bristol Fashion: several
/// steps of ANDs, every mix of parties, a constant output, no OTs at all,
/// and a circuit read from `circuits/` through the DSL.
pub fn protocol_circuits() -> &'static [Circuit] {
    static CIRCUITS: OnceLock<Vec<Circuit>> = OnceLock::new();
    CIRCUITS.get_or_init(|| {
        let fashion = |text: &str, parties: &[Party]| {
            bristol::parse(
                "fuzz",
                text,
                &Options {
                    format: Some(Format::Fashion),
                    bit_order: BitOrder::Lsb0,
                    parties: Some(parties.to_vec()),
                },
            )
            .expect("harness circuit")
        };
        use Party::{Evaluator as E, Garbler as G};
        vec![
            // Two ANDs, then a second AND step, an XOR and a NOT.
            fashion(
                "5 9\n2 2 2\n1 3\n\n2 1 0 2 4 AND\n2 1 1 3 5 AND\n2 1 4 5 6 AND\n\
                 2 1 4 5 7 XOR\n1 1 7 8 INV\n",
                &[G, E],
            ),
            // The garbler alone has inputs: zero OTs.
            fashion("2 4\n1 2\n1 2\n\n2 1 0 1 2 AND\n2 1 0 1 3 XOR\n", &[G]),
            // The evaluator alone has inputs, and one output is a constant.
            fashion(
                "3 5\n1 2\n1 3\n\n2 1 0 1 2 AND\n1 1 1 3 EQ\n1 1 0 4 INV\n",
                &[E],
            ),
            // Three groups, one output wire is an input wire (EQW).
            fashion(
                "3 6\n3 1 1 1\n1 3\n\n2 1 0 1 3 AND\n2 1 3 2 4 AND\n1 1 2 5 EQW\n",
                &[G, E, E],
            ),
            lang::compile_str(
                "millionaires.yao",
                include_str!("../../circuits/millionaires.yao"),
            )
            .expect("circuits/millionaires.yao compiles"),
        ]
    })
}

/// The peer's hello in the handshake, for `role` and `id`.
pub fn hello(role: Role, id: &CircuitId) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&VERSION.to_le_bytes());
    h.push(role as u8);
    h.extend_from_slice(&id.0);
    h
}

fn frame(bytes: &[u8]) -> Vec<u8> {
    let mut f = (bytes.len() as u64).to_le_bytes().to_vec();
    f.extend_from_slice(bytes);
    f
}

/// What an honest garbler sends the evaluator during session setup: its
/// hello and its base-OT receiver message (computed once per process).
pub fn garbler_setup_bytes(circuit: &Circuit) -> Vec<u8> {
    static MSG: OnceLock<Vec<u8>> = OnceLock::new();
    let msg = MSG.get_or_init(|| base::BaseReceiver::new(&[false; iknp::KAPPA]).1.to_bytes());
    let mut bytes = hello(Role::Garbler, &circuit.id());
    bytes.extend(frame(msg));
    bytes
}

/// The compressed Ristretto base point: a valid base-OT sender message.
const BASEPOINT: [u8; 32] = [
    0xe2, 0xf2, 0xae, 0x0a, 0x6a, 0xbc, 0x4e, 0x71, 0xa8, 0x84, 0xa9, 0x61, 0xc5, 0x00, 0x51, 0x5f,
    0x58, 0xe3, 0x0b, 0x6a, 0xa5, 0x82, 0xdd, 0x8d, 0xb6, 0xa6, 0x59, 0x45, 0xe0, 0x8d, 0x2d, 0x76,
];

/// What an honest evaluator sends the garbler during session setup: its
/// hello and a base-OT sender message (any valid point will do).
pub fn evaluator_setup_bytes(circuit: &Circuit) -> Vec<u8> {
    let mut bytes = hello(Role::Evaluator, &circuit.id());
    bytes.extend(frame(&BASEPOINT));
    bytes
}

fn bits_from(seed: u8, n: usize) -> Vec<bool> {
    (0..n)
        .map(|k| (seed as usize >> (k % 8)) & 1 == 1)
        .collect()
}

fn inputs_of(circuit: &Circuit, party: Party, seed: u8) -> Vec<Vec<bool>> {
    circuit
        .inputs
        .iter()
        .filter(|i| i.party == party)
        .map(|i| bits_from(seed, i.wires.len()))
        .collect()
}

/// Session setup from the peer's side, raw: the first byte picks the role
/// this party plays and the circuit, the rest is everything the peer sends
/// (hello, then the base-OT setup message). Covers the handshake checks
/// (magic, version, role, circuit id) and the framing and decoding of the
/// base-OT messages.
pub fn handshake(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let pick = b.u8();
    let circuits = protocol_circuits();
    let circuit = &circuits[(pick >> 1) as usize % circuits.len()];
    let rest = b.rest();
    let feed = Feed::default();
    feed.set(rest);
    let result = if pick & 1 == 0 {
        EvaluatorSession::start(feed, circuit).map(drop)
    } else {
        // A garbler prepares its first base-OT message (128 scalar
        // multiplications) before the handshake; check the hello first so
        // that the fuzzer does not pay for it on every rejected hello.
        handshake::handshake(&mut feed.clone(), Role::Garbler, &circuit.id()).and_then(|()| {
            feed.set(rest);
            GarblerSession::start(feed, circuit).map(drop)
        })
    };
    result.map_err(|e| e.to_string())
}

/// The OT messages a party decodes: the base-OT receiver message (decoded,
/// then answered and turned into keys), the base-OT sender message (decoded
/// and used to finish a receiver), and an IKNP matrix batch (decoded and
/// received by an extension sender), plus the receiver's batch encoding.
pub fn ot_messages(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let which = b.u8();
    let count = b.u16();
    let bytes = b.rest();
    match which % 4 {
        0 => {
            let msg = base::ReceiverMsg::from_bytes(bytes, usize::from(count % 64))
                .map_err(|e| e.to_string())?;
            assert_eq!(msg.to_bytes(), bytes);
            let (reply, sender) = base::respond(msg);
            assert!(base::SenderMsg::from_bytes(&reply.to_bytes()).is_ok());
            sender.keys().map(drop).map_err(|e| e.to_string())
        }
        1 => {
            let msg = base::SenderMsg::from_bytes(bytes).map_err(|e| e.to_string())?;
            assert_eq!(msg.to_bytes(), bytes);
            let choices = bits_from(count as u8, usize::from(count >> 8) % 8);
            let (receiver, _) = base::BaseReceiver::new(&choices);
            assert_eq!(receiver.finish(&msg).len(), choices.len());
            Ok(())
        }
        // An empty batch panics in `IknpSender::receive` and
        // `IknpReceiver::send` (found by this target; never reached through
        // `CotSender`/`CotReceiver`, which skip empty batches). It is
        // replayed by `tests/fuzz_regressions.rs`; skipped here so the
        // fuzzer looks for other bugs.
        2 | 3 if count == 0 => Err("skipped: an empty OT batch".into()),
        2 => {
            let ots = usize::from(count);
            let msg = iknp::ChunkMsg::from_bytes(bytes, ots).map_err(|e| e.to_string())?;
            assert_eq!(msg.ots(), ots);
            assert_eq!(msg.to_bytes(), bytes);
            let seeds: Vec<Block> = (0..iknp::KAPPA as u128).map(Block).collect();
            let mut sender = iknp::IknpSender::new(&Delta::from_block(Block(3)), &seeds);
            let mut out = Vec::new();
            sender.receive(&msg, &mut out);
            assert_eq!(out.len(), ots);
            Ok(())
        }
        _ => {
            let seeds: Vec<[Block; 2]> = (0..iknp::KAPPA as u128)
                .map(|i| [Block(i), Block(!i)])
                .collect();
            let mut receiver = iknp::IknpReceiver::new(&seeds);
            let choices: Vec<bool> = bytes
                .iter()
                .flat_map(|&x| (0..8).map(move |k| x >> k & 1 == 1))
                .take(usize::from(count) % 2048)
                .collect();
            if choices.is_empty() {
                return Err("skipped: an empty OT batch".into());
            }
            let mut msg = iknp::ChunkMsg::default();
            let mut out = Vec::new();
            receiver.send(&choices, &mut msg, &mut out);
            assert_eq!(out.len(), choices.len());
            assert_eq!(msg.ots(), choices.len().next_multiple_of(128));
            iknp::ChunkMsg::from_bytes(msg.as_bytes(), msg.ots())
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}

/// A session set up once and the feed its peer's bytes come from.
type Reused<S> = RefCell<Vec<Option<(Feed, S)>>>;

thread_local! {
    /// One evaluator session per protocol circuit, set up once per thread
    /// with an honest garbler's setup bytes (base OTs cost milliseconds;
    /// reusing the session keeps the fuzzer fast). An execution reads only
    /// from its own stream, so a failed one leaves the session usable.
    static EVALUATORS: Reused<EvaluatorSession<'static, Feed>> =
        const { RefCell::new(Vec::new()) };
    static GARBLERS: Reused<GarblerSession<'static, Feed>> = const { RefCell::new(Vec::new()) };
}

/// The garbled-table stream: an evaluator session, set up honestly, then
/// fed the fuzzer's bytes as everything the garbler sends in executions
/// (execute marker, the garbler's input labels, garbled tables, decoding
/// bits, the verdict on the returned outputs, and further executions). The
/// first two bytes pick the circuit and the evaluator's inputs.
pub fn evaluator_stream(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let pick = b.u8() as usize;
    let seed = b.u8();
    let circuits = protocol_circuits();
    let k = pick % circuits.len();
    let circuit = &circuits[k];
    let inputs = inputs_of(circuit, Party::Evaluator, seed);
    let stream = b.rest();
    EVALUATORS.with(|cell| {
        let mut sessions = cell.borrow_mut();
        sessions.resize_with(circuits.len(), || None);
        let (feed, session) = sessions[k].get_or_insert_with(|| {
            let feed = Feed::default();
            feed.set(&garbler_setup_bytes(circuit));
            let session =
                EvaluatorSession::start(feed.clone(), circuit).expect("an honest setup succeeds");
            (feed, session)
        });
        feed.set(stream);
        let mut last = Ok(());
        for _ in 0..3 {
            match session.execute(&inputs) {
                Ok((outputs, _)) => {
                    assert_eq!(outputs.len(), circuit.outputs.len());
                    for (o, bits) in circuit.outputs.iter().zip(&outputs) {
                        assert_eq!(o.wires.len(), bits.len());
                    }
                }
                Err(e) => {
                    last = Err(e.to_string());
                    break;
                }
            }
        }
        if last.is_ok() {
            // The verdict on the last outputs is read at the start of the
            // next execution: take it now (from an empty stream), so the
            // next input starts from the same state whatever this one did.
            feed.set(&[]);
            let _ = session.execute(&inputs);
        }
        last
    })
}

/// The messages the garbler reads during executions: batches of
/// precomputed OTs (count and extension matrix), the corrections announcing
/// the evaluator's inputs, and the output labels the evaluator returns
/// (which the garbler checks against its garbling). The first byte picks
/// the circuit; the second the garbler's inputs and whether the harness
/// sends a well-formed OT batch and inputs first (so the fuzzer's bytes
/// reach the output check) or the fuzzer's bytes are the whole stream.
pub fn garbler_stream(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let pick = b.u8() as usize;
    let seed = b.u8();
    let circuits = protocol_circuits();
    let k = pick % circuits.len();
    let circuit = &circuits[k];
    let inputs = inputs_of(circuit, Party::Garbler, seed >> 1);
    let n: usize = circuit
        .inputs
        .iter()
        .filter(|i| i.party == Party::Evaluator)
        .map(|i| i.wires.len())
        .sum();
    let mut stream = Vec::new();
    let rest = b.rest();
    if seed & 1 == 0 {
        // Well-formed messages up to the output check: a batch of exactly
        // `n` precomputed OTs (so none are left for the next input) whose
        // extension matrix is the fuzzer's, padded, then the corrections
        // announcing the inputs, then the rest of the fuzzer's bytes.
        let matrix = 16 * n.next_multiple_of(128);
        if n > 0 {
            stream.push(0x10);
            stream.extend_from_slice(&(n as u64).to_le_bytes());
            stream.extend_from_slice(&(n as u64).to_le_bytes());
        }
        let take = matrix.min(rest.len());
        stream.extend_from_slice(&rest[..take]);
        stream.resize(stream.len() + matrix - take, 0);
        stream.push(0x11);
        stream.resize(stream.len() + n.div_ceil(8), 0);
        stream.extend_from_slice(&rest[take..]);
    } else {
        stream.extend_from_slice(rest);
    }
    GARBLERS.with(|cell| {
        let mut sessions = cell.borrow_mut();
        sessions.resize_with(circuits.len(), || None);
        let (feed, session) = sessions[k].get_or_insert_with(|| {
            let feed = Feed::default();
            feed.set(&evaluator_setup_bytes(circuit));
            let session =
                GarblerSession::start(feed.clone(), circuit).expect("an honest setup succeeds");
            (feed, session)
        });
        feed.set(&stream);
        let result = session.execute(&inputs);
        let result = match result {
            Ok((outputs, _)) => {
                assert_eq!(outputs.len(), circuit.outputs.len());
                Ok(())
            }
            Err(e) => Err(e),
        };
        // A failed garbler session refuses further executions (and its
        // precomputed OTs are out of step): start over, as over a network.
        if result.is_err() {
            sessions[k] = None;
        }
        result.map_err(|e| e.to_string())
    })
}

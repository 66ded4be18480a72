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
use yao_compiler::bristol_windowed::{WindowedBristol, WindowedBristolError};
use yao_compiler::ir::{Circuit, CircuitId, Party, StructType, ValueType};
use yao_compiler::lang;
use yao_compiler::value::Value;
use yao_core::block::{Block, Delta};
use yao_core::ot::{csw, iknp};
use yao_runtime::channel::{Channel, ChannelError, MemChannel, Traffic};
use yao_runtime::ot::{CotReceiver, CotSender, Extension};
use yao_runtime::protocol::handshake::{self, Role, MAGIC, VERSION};
use yao_runtime::protocol::{EvaluatorSession, GarblerSession, ProtocolError};
use yao_runtime::report::report;

/// What a harness function reports: `Err(message)` when the entry point
/// refused the input (the message is the error it gave).
pub type Outcome = Result<(), String>;

/// A harness function.
pub type Target = fn(&[u8]) -> Outcome;

/// The harness functions by name, for the regression test: the fuzz
/// targets and `dsl_any_path`.
pub const TARGETS: [(&str, Target); 14] = [
    ("dsl_any_path", dsl_any_path),
    ("dsl", dsl),
    ("bristol", bristol),
    ("value", value),
    ("cli_inputs", cli_inputs),
    ("share_files", share_files),
    ("split_check", split_check),
    ("handshake", handshake),
    ("ot_messages", ot_messages),
    ("softspoken_messages", softspoken_messages),
    ("preprocess_messages", preprocess_messages),
    ("auth_garbling_messages", auth_garbling_messages),
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

/// The Bristol importer with fuzzed options. It must give what it gives
/// without its fast path for common gate lines (`bristol::parse_general`):
/// the same circuit or the same error; the streamed reader must accept the
/// same files as the same circuit. An accepted file must be a valid
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
    let parsed = bristol::parse("fuzz", text, &options);
    assert_eq!(
        parsed,
        bristol::parse_general("fuzz", text, &options),
        "the importer's fast path disagrees with its general path"
    );
    // The streamed reader (its own passes, and a fast path of its own for
    // common gate lines) accepts what the importer accepts, as the same
    // circuit, and refuses what it refuses.
    let streamed = WindowedBristol::from_bytes("fuzz", text.as_bytes().to_vec(), &options);
    match (&parsed, &streamed) {
        (Ok(c), Ok(s)) => {
            assert_eq!(s.id(), c.id(), "the streamed reader reads another circuit");
            assert_eq!(s.inputs(), &c.inputs[..]);
            assert_eq!(s.outputs(), &c.outputs[..]);
            let mut gates = Vec::new();
            s.for_each_gate::<WindowedBristolError>(|g, _| {
                gates.push(g);
                Ok(())
            })
            .expect("a scanned file streams its gates");
            assert_eq!(gates, c.gates, "the streamed reader's gates differ");
        }
        (Err(_), Err(_)) => {}
        (p, s) => panic!(
            "the importer says {:?}, the streamed reader {:?}",
            p.as_ref().map(|_| ()),
            s.as_ref().map(|_| ())
        ),
    }
    let circuit = parsed.map_err(|e| report(&e))?;
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
    .unwrap_or_else(|e| {
        panic!(
            "the exported file does not import: {}\n{exported}",
            report(&e)
        )
    });
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
/// a group (widths up to the DSL's largest, arrays, tuples, structs, nesting).
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
        // A few tags of the tuple branch give a struct (the other tags
        // read as they always did): field names from a small pool, so
        // that text and type share some, and repeats (a hostile type).
        _ if tag >= 240 => {
            let n = b.u8() % 5;
            let fields = (0..n)
                .map(|_| {
                    let name = ["x", "y", "ys", "_a", "b0"][usize::from(b.u8() % 5)];
                    (name.to_string(), value_type(b, depth + 1))
                })
                .collect();
            ValueType::Struct(Box::new(StructType {
                name: "P".into(),
                fields,
            }))
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
    let v = Value::parse(text).map_err(|e| report(&e))?;
    assert_eq!(Value::parse(&v.to_string()).as_ref(), Ok(&v), "{v}");
    assert_eq!(Value::parse(&v.to_hex_string()).as_ref(), Ok(&v), "{v}");
    let bits = v.encode(&ty).map_err(|e| report(&e))?;
    assert_eq!(bits.len() as u64, ty.width(), "{v} as {ty}");
    let back = Value::decode(&bits, &ty).expect("the width matches");
    assert_eq!(back.encode(&ty).as_ref(), Ok(&bits), "{v} as {ty}");
    Ok(())
}

/// Circuits whose inputs cover every kind of type and party, for
/// [`cli_inputs`]: compiled once.
fn cli_circuits() -> &'static [yao::Circuit] {
    static CIRCUITS: OnceLock<Vec<yao::Circuit>> = OnceLock::new();
    CIRCUITS.get_or_init(|| {
        let kinds = "circuit kinds(garbler a: i8, garbler b: [(u3, bool); 3], \
                     evaluator c: [[u2; 2]; 2], evaluator d: (i16, u1)) -> bool {\n\
                     (a == d.0 as i8) ^ b[1].1 ^ (c[1][0] == b[2].0 as u2) ^ (d.1 == 1)\n}\n";
        [
            (
                "millionaires",
                include_str!("../../circuits/millionaires.yao"),
            ),
            (
                "average_grades",
                include_str!("../../circuits/average_grades.yao"),
            ),
            ("kinds", kinds),
        ]
        .iter()
        .map(|(name, source)| {
            let c = lang::compile_str(name, source).unwrap_or_else(|d| panic!("{name}: {d:?}"));
            yao::Circuit::try_from(c).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
    })
}

/// The values a user types for a party: command-line `NAME=VALUE` or bare
/// values (one per line) or an `--input-file` JSON object, assigned to the
/// input groups of one of [`cli_circuits`]. An accepted assignment gives
/// every group of that party, and only those, exactly its width in bits.
pub fn cli_inputs(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let circuits = cli_circuits();
    let circuit = &circuits[usize::from(b.u8()) % circuits.len()];
    let party = if b.u8() & 1 == 0 {
        Party::Garbler
    } else {
        Party::Evaluator
    };
    let json = b.u8() & 1 == 1;
    let Ok(text) = std::str::from_utf8(b.rest()) else {
        return Err("not UTF-8".into());
    };
    let values = if json {
        yao::inputs::values_from_json(text).map_err(|e| format!("{e:#}"))?
    } else {
        text.lines().map(str::to_string).collect()
    };
    let inputs = yao::inputs::from_typed(circuit, party, &values).map_err(|e| format!("{e:#}"))?;
    let bits = inputs.bits().expect("complete inputs");
    let groups: Vec<_> = circuit.ir().inputs_of(party).collect();
    assert_eq!(bits.len(), groups.len());
    for (v, group) in bits.iter().zip(groups) {
        assert_eq!(v.len() as u64, group.ty.width(), "group {}", group.name);
    }
    Ok(())
}

/// The outsourcing circuits, whose inputs are `shared`: compiled once.
fn shared_circuits() -> &'static [(Circuit, String)] {
    static CIRCUITS: OnceLock<Vec<(Circuit, String)>> = OnceLock::new();
    CIRCUITS.get_or_init(|| {
        [
            (
                "average_grades",
                include_str!("../../circuits/average_grades.yao"),
            ),
            (
                "average_age",
                include_str!("../../circuits/average_age.yao"),
            ),
        ]
        .iter()
        .map(|(name, source)| {
            let circuit =
                lang::compile_str(name, source).unwrap_or_else(|d| panic!("{name}: {d:?}"));
            let id = circuit.id().to_hex();
            (circuit, id)
        })
        .collect()
    })
}

/// The share files input providers hand to a server (`--shares DIR`),
/// assembled into that server's share groups (`share::assemble_from`). The
/// bytes after the first two (circuit, party) are the files, separated by
/// 0xFF (never in UTF-8); `@ID@` in a file stands for the circuit's id, so
/// that mutations of a valid file stay valid for the circuit. An accepted
/// directory gives every share group of the server exactly its width.
pub fn share_files(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let circuits = shared_circuits();
    let (circuit, id) = &circuits[usize::from(b.u8()) % circuits.len()];
    let party = if b.u8() & 1 == 0 {
        Party::Garbler
    } else {
        Party::Evaluator
    };
    let files = b
        .rest()
        .split(|&c| c == 0xFF)
        .enumerate()
        .map(|(k, bytes)| {
            let text = String::from_utf8_lossy(bytes).replace("@ID@", id);
            let path = std::path::PathBuf::from(format!("shares/{k}.share"));
            (path, text.into_bytes())
        });
    let dir = std::path::Path::new("shares");
    let assembled = yao::share::assemble_from(circuit, id, party, dir, files.map(Ok))
        .map_err(|e| report(&e))?;
    let elements: usize = yao_compiler::lang::shared::shared_inputs(circuit)
        .iter()
        .map(|s| match s.ty {
            ValueType::Array(_, n) => n as usize,
            _ => 1,
        })
        .sum();
    assert_eq!(assembled.origins.len(), elements, "one origin per element");
    let bits = assembled.groups;
    for (k, v) in &bits {
        let input = &circuit.inputs[*k];
        assert_eq!(input.party, party, "group {k}");
        assert_eq!(v.len() as u64, input.ty.width(), "group {k}");
    }
    assert!(!bits.is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------
// Bytes a peer sends.

/// What a server on share files reads from the other server before the
/// session (`yao::split_check::check`): its hello and, when the digests
/// differ, its split ids. The first byte picks the role (bit 0) and the
/// number of elements (0 to 31); the rest is the peer's bytes, except that
/// the harness XORs the circuit id, the digest and the split ids this server
/// would expect into their places, so that zero bytes there mean "as
/// expected" and seeds reach every path (XOR loses no input).
pub fn split_check(data: &[u8]) -> Outcome {
    use std::sync::Arc;
    use yao::share::{Origin, Slot, SplitId};
    use yao::split_check::{check, Splits, MAGIC as SHARES_MAGIC};
    let mut b = Bytes(data);
    let pick = b.u8();
    let party = if pick & 1 == 0 {
        Party::Garbler
    } else {
        Party::Evaluator
    };
    let origins = (0..(pick >> 1) % 32)
        .map(|k| {
            Arc::new(Origin {
                slot: Slot {
                    input: "grades".into(),
                    index: Some(u32::from(k)),
                },
                split: SplitId([k.wrapping_mul(37); 16]),
                provider: format!("p{k}"),
                path: format!("shares/p{k}.share").into(),
            })
        })
        .collect::<Vec<_>>();
    let splits = Splits {
        party,
        circuit: CircuitId([0x5a; 32]),
        origins,
    };
    let expected: Vec<u8> = SHARES_MAGIC
        .iter()
        .chain(&[0])
        .chain(&splits.circuit.0)
        .chain(&splits.digest())
        .copied()
        .chain(splits.origins.iter().flat_map(|o| o.split.0))
        .collect();
    let mut peer = b.rest().to_vec();
    for (k, byte) in peer.iter_mut().enumerate().skip(9) {
        *byte ^= expected.get(k).copied().unwrap_or(0);
    }
    let feed = Feed::default();
    feed.set(&peer);
    check(&mut feed.clone(), &splits).map_err(|e| report(&e))
}

/// A channel whose incoming bytes are whatever the harness puts in its
/// inbox; when they run out the peer has "closed the connection". What the
/// party sends is counted and dropped. While a live peer is attached
/// ([`Feed::live`]) it talks to that peer instead: the base-OT setup ends
/// with a check that only a peer who saw this party's messages can pass.
#[derive(Clone, Default)]
pub struct Feed(Rc<RefCell<FeedState>>);

#[derive(Default)]
struct FeedState {
    inbox: Vec<u8>,
    pos: usize,
    traffic: Traffic,
    live: Option<MemChannel>,
}

impl Feed {
    /// Replaces what the peer will have sent.
    pub fn set(&self, bytes: &[u8]) {
        let mut s = self.0.borrow_mut();
        s.inbox.clear();
        s.inbox.extend_from_slice(bytes);
        s.pos = 0;
    }

    /// Runs `peer` on a thread, connected to this feed until `f` returns;
    /// then the feed replays its inbox again. Returns what `f` returned.
    pub fn live<T>(
        &self,
        peer: impl FnOnce(MemChannel) + Send + 'static,
        f: impl FnOnce() -> T,
    ) -> T {
        let (ours, theirs) = MemChannel::pair();
        self.0.borrow_mut().live = Some(ours);
        let peer = std::thread::spawn(move || peer(theirs));
        let result = f();
        // Dropping our end ends the peer, whatever state it is in.
        self.0.borrow_mut().live = None;
        peer.join().expect("the live peer does not panic");
        result
    }
}

impl Channel for Feed {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        let mut s = self.0.borrow_mut();
        s.traffic.sent += data.len() as u64;
        match &mut s.live {
            Some(live) => live.write_all(data),
            None => Ok(()),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let mut s = self.0.borrow_mut();
        if let Some(live) = &mut s.live {
            live.read_exact(buf)?;
            s.traffic.received += buf.len() as u64;
            return Ok(());
        }
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
        match &mut self.0.borrow_mut().live {
            Some(live) => live.flush(),
            None => Ok(()),
        }
    }

    fn traffic(&self) -> Traffic {
        self.0.borrow().traffic
    }
}

/// Both parties' consistent shares and triples with valid MACs, dealt
/// from `seed`, as the preprocessing would leave them: what the
/// authenticated-garbling target needs to reach each step honestly.
pub struct AuthDeal {
    /// The circuit (one of [`protocol_circuits`]).
    pub circuit: &'static Circuit,
    /// `A`'s and `B`'s global keys.
    pub keys: [yao_core::auth::auth_bit::GlobalKey; 2],
    /// `A`'s and `B`'s shares.
    pub shares: [Vec<yao_core::auth::auth_bit::Share>; 2],
    /// `A`'s and `B`'s triples.
    pub triples: [Vec<yao_core::auth::triple::Triple>; 2],
    /// The garbler's and the evaluator's input bits.
    pub inputs: [Vec<bool>; 2],
}

/// Deals [`AuthDeal`] for `seed` (a xorshift generator: deterministic).
pub fn auth_deal(seed: u16) -> AuthDeal {
    use yao_core::auth::auth_bit::{GlobalKey, Share};
    use yao_core::auth::layout::Layout;
    use yao_core::auth::triple::Triple;
    use yao_core::auth::Role;
    let circuits = protocol_circuits();
    let circuit = &circuits[usize::from(seed) % circuits.len()];
    let mut state = u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut block = || Block(u128::from(next()) << 64 | u128::from(next()));
    let keys = [
        GlobalKey::from_block(block(), Role::A),
        GlobalKey::from_block(block(), Role::B),
    ];
    let (da, db) = (keys[0].block(), keys[1].block());
    let mut pair = |a: bool, b: bool| {
        let (ka, kb) = (block(), block());
        (
            Share {
                bit: a,
                mac: kb ^ (db & Block::mask(a)),
                key: ka,
            },
            Share {
                bit: b,
                mac: ka ^ (da & Block::mask(b)),
                key: kb,
            },
        )
    };
    let layout = Layout::new(circuit).expect("harness circuit");
    let mut bits =
        (0..).map(|i: u32| (u32::from(seed).wrapping_mul(2_654_435_761) >> (i % 29)) & 1 == 1);
    let mut shares = [Vec::new(), Vec::new()];
    for _ in 0..layout.shares_needed() {
        let (a, b) = pair(bits.next().unwrap(), bits.next().unwrap());
        shares[0].push(a);
        shares[1].push(b);
    }
    let mut triples = [Vec::new(), Vec::new()];
    for _ in 0..layout.ands {
        let (xa, ya, za, xb, yb) = (
            bits.next().unwrap(),
            bits.next().unwrap(),
            bits.next().unwrap(),
            bits.next().unwrap(),
            bits.next().unwrap(),
        );
        let zb = za ^ ((xa ^ xb) & (ya ^ yb));
        let (x, y, z) = (pair(xa, xb), pair(ya, yb), pair(za, zb));
        triples[0].push(Triple {
            x: x.0,
            y: y.0,
            z: z.0,
        });
        triples[1].push(Triple {
            x: x.1,
            y: y.1,
            z: z.1,
        });
    }
    let inputs = [
        (0..layout.garbler_inputs.len())
            .map(|_| bits.next().unwrap())
            .collect(),
        (0..layout.evaluator_inputs.len())
            .map(|_| bits.next().unwrap())
            .collect(),
    ];
    AuthDeal {
        circuit,
        keys,
        shares,
        triples,
        inputs,
    }
}

/// The honest online messages of the deal of `seed`, as the target takes
/// them: `[which, seed]` then message `which` (for `which = 1`, `B`'s mask
/// opening followed by its masked inputs). For the seed corpus.
pub fn auth_garbling_seed(which: u8, seed: u16) -> Vec<u8> {
    use yao_core::auth::online::{Evaluator, Garbler};
    let d = auth_deal(seed);
    let layout = yao_core::auth::layout::Layout::new(d.circuit).expect("honest deal");
    let (garbler, m1) = Garbler::start(
        &layout,
        &d.keys[0],
        &d.shares[0],
        &d.triples[0],
        0,
        &d.inputs[0],
    )
    .expect("honest deal");
    let evaluator = Evaluator::start(
        &layout,
        &d.keys[1],
        &d.shares[1],
        &d.triples[1],
        0,
        &d.inputs[1],
    )
    .expect("honest deal");
    let (waiting_b, m2, input) = evaluator.respond(&m1).expect("honest deal");
    let (_, m3) = garbler.garble(&m2, &input).expect("honest deal");
    let (_, m4) = waiting_b.evaluate(&m3).expect("honest deal");
    let msg = match which % 4 {
        0 => m1.to_bytes(),
        1 => [m2.to_bytes(), input.to_bytes()].concat(),
        2 => m3.to_bytes(),
        _ => m4.to_bytes(),
    };
    [&[which][..], &seed.to_le_bytes(), &msg].concat()
}

/// Authenticated garbling's online messages (`yao_core::auth::online`),
/// each parsed and checked by the party that receives it, in the state an
/// honest run reaches before it (from [`auth_deal`]): `A`'s mask opening to
/// `B`; `B`'s mask opening and masked inputs to `A`; the garbled circuit to
/// `B` (every row MAC, input label and output opening checked); `B`'s
/// output labels and opening to `A`. An honest message must be accepted
/// with the plaintext outputs; anything else refused, never a panic.
pub fn auth_garbling_messages(data: &[u8]) -> Outcome {
    use yao_core::auth::layout::Layout;
    use yao_core::auth::online::{Evaluator, GarbledMsg, Garbler, InputMsg, MaskMsg, OutputMsg};
    use yao_core::auth::Role;
    let mut b = Bytes(data);
    let which = b.u8();
    let seed = b.u16();
    let bytes = b.rest();
    let d = auth_deal(seed);
    let layout = Layout::new(d.circuit).map_err(|e| report(&e))?;
    let plain = {
        let (mut g, mut e) = (d.inputs[0].iter(), d.inputs[1].iter());
        let groups: Vec<Vec<bool>> = d
            .circuit
            .inputs
            .iter()
            .map(|i| {
                let it: &mut dyn Iterator<Item = &bool> = match i.party {
                    Party::Garbler => &mut g,
                    Party::Evaluator => &mut e,
                };
                it.take(i.wires.len()).copied().collect()
            })
            .collect();
        d.circuit
            .eval_plain(&groups)
            .expect("harness circuit")
            .concat()
    };
    let (garbler, m1) = Garbler::start(
        &layout,
        &d.keys[0],
        &d.shares[0],
        &d.triples[0],
        0,
        &d.inputs[0],
    )
    .map_err(|e| report(&e))?;
    let evaluator = Evaluator::start(
        &layout,
        &d.keys[1],
        &d.shares[1],
        &d.triples[1],
        0,
        &d.inputs[1],
    )
    .map_err(|e| report(&e))?;
    match which % 5 {
        0 => {
            let m1 = MaskMsg::from_bytes(bytes, &layout, Role::A).map_err(|e| report(&e))?;
            evaluator.respond(&m1).map_err(|e| report(&e))?;
        }
        1 => {
            let cut = MaskMsg::len(&layout, Role::B).min(bytes.len());
            let m2 =
                MaskMsg::from_bytes(&bytes[..cut], &layout, Role::B).map_err(|e| report(&e))?;
            let input = InputMsg::from_bytes(&bytes[cut..], &layout).map_err(|e| report(&e))?;
            garbler.garble(&m2, &input).map_err(|e| report(&e))?;
        }
        2 => {
            let (waiting, _, _) = evaluator.respond(&m1).map_err(|e| report(&e))?;
            let m3 = GarbledMsg::from_bytes(bytes, &layout).map_err(|e| report(&e))?;
            let (out, _) = waiting.evaluate(&m3).map_err(|e| report(&e))?;
            assert_eq!(out, plain, "accepted outputs must be the plaintext ones");
        }
        _ => {
            let (waiting_b, m2, input) = evaluator.respond(&m1).map_err(|e| report(&e))?;
            let (waiting_a, m3) = garbler.garble(&m2, &input).map_err(|e| report(&e))?;
            waiting_b.evaluate(&m3).map_err(|e| report(&e))?;
            let m4 = OutputMsg::from_bytes(bytes, &layout).map_err(|e| report(&e))?;
            let out = waiting_a.finish(&m4).map_err(|e| report(&e))?;
            assert_eq!(out, plain, "accepted outputs must be the plaintext ones");
        }
    }
    Ok(())
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

/// The peer's hello in the handshake, for `role` and `id`, with the
/// default settings.
pub fn hello(role: Role, id: &CircuitId) -> Vec<u8> {
    hello_with(role, id, handshake::Settings::default())
}

/// The peer's hello with `settings`.
pub fn hello_with(role: Role, id: &CircuitId, settings: handshake::Settings) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&VERSION.to_le_bytes());
    h.push(role as u8);
    h.extend_from_slice(&id.0);
    h.push(settings.scheme.code());
    h.push(settings.ot.code());
    h.push(settings.security.code());
    h
}

/// An honest garbler's side of session setup (hello and base OTs), played
/// on `ch` against an evaluator session for `circuit`.
pub fn honest_garbler_setup(
    circuit: &Circuit,
    settings: handshake::Settings,
) -> impl FnOnce(MemChannel) + Send + 'static {
    let hello = hello_with(Role::Garbler, &circuit.id(), settings);
    move |mut ch| {
        let mut theirs = vec![0u8; hello.len()];
        let _ = ch.write_all(&hello).and_then(|()| ch.flush());
        let _ = ch.read_exact(&mut theirs);
        let ot = handshake::Settings::default().ot;
        let _ = CotSender::setup_with(&mut ch, &Delta::random(), ot);
    }
}

/// An honest evaluator's side of session setup, against a garbler session.
pub fn honest_evaluator_setup(circuit: &Circuit) -> impl FnOnce(MemChannel) + Send + 'static {
    let hello = hello(Role::Evaluator, &circuit.id());
    move |mut ch| {
        let mut theirs = vec![0u8; hello.len()];
        let _ = ch.write_all(&hello).and_then(|()| ch.flush());
        let _ = ch.read_exact(&mut theirs);
        let _ = CotReceiver::setup_with(&mut ch, handshake::Settings::default().ot);
    }
}

/// How many bytes a party reads from its peer during session setup: the
/// hello and the base-OT frames (for the evaluator: the garbler's points and
/// answer; for the garbler: the evaluator's key and challenge).
pub fn setup_len(reader: Role) -> usize {
    let hello = hello(reader, &CircuitId([0; 32])).len();
    let frames = match reader {
        Role::Evaluator => csw::ReceiverMsg::len_for(iknp::KAPPA) + csw::Answer::LEN,
        Role::Garbler => {
            let tree = match handshake::Settings::default().ot {
                Extension::Iknp => 0,
                // The evaluator's SoftSpokenOT tree sums, one more frame.
                Extension::SoftSpoken { .. } => yao_core::ot::softspoken::TreeMsg::LEN + 8,
            };
            csw::SenderKey::LEN + csw::Challenge::len_for(iknp::KAPPA) + tree
        }
    };
    hello + frames + 2 * 8
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
/// (hello, then the base-OT setup messages). Covers the handshake checks
/// (magic, version, role, circuit id) and the framing, decoding and checks
/// of the base-OT messages (a replayed session fails the base-OT check: its
/// messages answer another session's randomness).
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
        handshake::handshake(
            &mut feed.clone(),
            Role::Garbler,
            &circuit.id(),
            handshake::Settings::default(),
        )
        .and_then(|()| {
            feed.set(rest);
            GarblerSession::start(feed, circuit).map(drop)
        })
    };
    result.map_err(|e| report(&e))
}

/// The OT messages a party decodes: the Canetti-Sarkar-Wang base OT's
/// receiver message (decoded, then turned into keys and a challenge, case
/// 0) and its sender key followed by a challenge (decoded and answered by a
/// receiver, case 1), and an IKNP matrix batch (decoded and received by an
/// extension sender, case 2), plus the receiver's batch encoding (case 3).
/// (Cases 4 and 5 once held the same two CSW messages, after two cases for
/// the Masny-Rindal base OT, since removed; `which % 4` keeps such inputs
/// meaning what they meant.)
/// The SoftSpokenOT messages the garbler decodes (Roy, CRYPTO 2022): the
/// evaluator's tree sums (`TreeMsg`, once per session) and an extension
/// batch (`ChunkMsg`) for `k` in {1, 2, 4, 8}. The first byte picks the
/// message (bit 0) and `k` (bits 1-2), the next two the batch's OT count.
pub fn softspoken_messages(data: &[u8]) -> Outcome {
    use yao_core::ot::softspoken::{self, SoftSpokenReceiver, SoftSpokenSender, TreeMsg};
    let mut b = Bytes(data);
    let which = b.u8();
    let count = b.u16();
    let bytes = b.rest();
    let k = softspoken::SUPPORTED_K[usize::from(which >> 1) % 4];
    let delta = Delta::from_block(Block(0x5eed_0001));
    let pairs: Vec<[Block; 2]> = (0..iknp::KAPPA as u128)
        .map(|i| [Block(i), Block(!i)])
        .collect();
    let chosen: Vec<Block> = (0..iknp::KAPPA)
        .map(|j| pairs[j][(delta.block().0 >> j) as usize & 1])
        .collect();
    if which & 1 == 0 {
        let tree = TreeMsg::from_bytes(bytes).map_err(|e| report(&e))?;
        assert_eq!(tree.as_bytes(), bytes);
        let sender = SoftSpokenSender::new(k, &delta, &chosen, &tree);
        assert_eq!(sender.k(), k);
        return Ok(());
    }
    if count == 0 {
        return Err("skipped: an empty OT batch".into());
    }
    let ots = usize::from(count);
    let msg = softspoken::ChunkMsg::from_bytes(bytes, ots, k).map_err(|e| report(&e))?;
    assert_eq!(msg.to_bytes(), bytes);
    let (_, tree) = SoftSpokenReceiver::new(k, &pairs);
    let mut sender = SoftSpokenSender::new(k, &delta, &chosen, &tree);
    let mut out = Vec::new();
    sender.receive(&msg, &mut out);
    assert!(out.len() >= ots);
    Ok(())
}

/// The malicious-security preprocessing messages a party decodes
/// (`yao_core::auth`, issue 18): the first byte picks the message, the next
/// two the count it is parsed for, the rest is the message. Parsed messages
/// must re-encode to the same bytes, and every check on them must end in a
/// verdict, never a panic.
/// - 0: a KOS15 extension message for `count % 2048` OTs, then (from the
///   bytes after it) the receiver's check message, through the sender;
/// - 1: a leaky-AND message `U` for `count % 512` triples, through a party's
///   leaky AND, then a `d` message from the bytes after it;
/// - 2: an opening of `count % 4096` authenticated bits, verified;
/// - 3: a coin-toss opening, checked against a fixed commitment;
/// - 4: the setup's base-OT bootstrap swap bits (16 bytes), applied to
///   fixed pairs: each pair is swapped exactly where its bit is set.
pub fn preprocess_messages(data: &[u8]) -> Outcome {
    use yao_core::auth::auth_bit::{verify_opening, GlobalKey, Opening, Share};
    use yao_core::auth::commit::{CoinCommitter, CoinOpening, CoinResponder};
    use yao_core::auth::kos::{extended_len, CheckMsg, ExtendMsg, KosSender};
    use yao_core::auth::leaky_and::{DMsg, LeakyAnd, UMsg};
    use yao_core::auth::Role;
    let mut b = Bytes(data);
    let which = b.u8();
    let count = usize::from(b.u16());
    let bytes = b.rest();
    let delta = GlobalKey::from_block(Block(0x5eed_0002), Role::A);
    let shares = |n: usize| -> Vec<Share> {
        (0..n as u128)
            .map(|i| Share {
                bit: i % 3 == 0,
                mac: Block(i * 7),
                key: Block(!i),
            })
            .collect()
    };
    match which % 6 {
        0 => {
            let n = count % 2048;
            let len = (16 * extended_len(n) + 32).min(bytes.len());
            let (ext, check) = bytes.split_at(len);
            let msg = ExtendMsg::from_bytes(ext, n).map_err(|e| report(&e))?;
            assert_eq!(msg.to_bytes(), ext);
            let seeds: Vec<Block> = (0..128u128).map(Block).collect();
            let mut sender = KosSender::new(delta.block(), &seeds);
            let (_, waiting) = sender.receive(&msg, n).map_err(|e| report(&e))?;
            let check = CheckMsg::from_bytes(check).map_err(|e| report(&e))?;
            let q = waiting.finish(&check).map_err(|e| report(&e))?;
            assert_eq!(q.len(), n);
            Ok(())
        }
        1 => {
            let n = count % 512;
            let len = (16 * n).min(bytes.len());
            let (u, d) = bytes.split_at(len);
            let u = UMsg::from_bytes(u, n).map_err(|e| report(&e))?;
            assert_eq!(u.to_bytes(), &bytes[..len]);
            let (run, _) = LeakyAnd::new(Role::A, &delta, shares(n), shares(n), shares(n), 0);
            let (next, _) = run.respond(&u).map_err(|e| report(&e))?;
            let d = DMsg::from_bytes(d, n).map_err(|e| report(&e))?;
            let unchecked = next.finish(&d, &delta).map_err(|e| report(&e))?;
            let (wait, _) = unchecked.commit();
            wait.check(&[0; 32]).map_err(|e| report(&e))?;
            Ok(())
        }
        2 => {
            let n = count % 4096;
            let opening = Opening::from_bytes(bytes, n).map_err(|e| report(&e))?;
            assert_eq!(opening.to_bytes(), bytes);
            let bits = verify_opening(&shares(n), &delta, &opening).map_err(|e| report(&e))?;
            assert_eq!(bits.len(), n);
            Ok(())
        }
        4 => {
            use yao_core::auth::bootstrap::{seed_pairs, SwapMsg};
            let swap = SwapMsg::from_bytes(bytes).map_err(|e| report(&e))?;
            assert_eq!(&swap.0[..], bytes);
            let q: Vec<Block> = (0..128u128).map(|i| Block(i * 0x9e37)).collect();
            let plain = seed_pairs(&q, delta.block(), &SwapMsg([0; 16]));
            let pairs = seed_pairs(&q, delta.block(), &swap);
            for (j, (p, s)) in plain.iter().zip(pairs.iter()).enumerate() {
                let e = swap.0[j / 8] >> (j % 8) & 1 == 1;
                assert_eq!(*s, if e { [p[1], p[0]] } else { *p }, "pair {j}");
            }
            Ok(())
        }
        5 => {
            // The SoftSpokenOT variant: the receiver's tree setup, then one
            // extension and its KOS15 check, for k = 2, 4 or 8.
            use yao_core::auth::kos::{extend_msg_len, TreeSetupMsg};
            let k = [2, 4, 8][count % 3];
            let n = (count / 3) % 512;
            let (tree, rest) = bytes.split_at(TreeSetupMsg::len_for(k).min(bytes.len()));
            let tree = TreeSetupMsg::from_bytes(tree, k).map_err(|e| report(&e))?;
            let mut sender =
                KosSender::soft_spoken(k, delta.block(), &soft_spoken_seeds(&delta), &tree)
                    .map_err(|e| report(&e))?;
            let (ext, check) = rest.split_at(extend_msg_len(n, k).min(rest.len()));
            let msg = ExtendMsg::from_bytes_for(ext, n, k).map_err(|e| report(&e))?;
            assert_eq!(msg.to_bytes(), ext);
            let (_, waiting) = sender.receive(&msg, n).map_err(|e| report(&e))?;
            let check = CheckMsg::from_bytes(check).map_err(|e| report(&e))?;
            let q = waiting.finish(&check).map_err(|e| report(&e))?;
            assert_eq!(q.len(), n);
            Ok(())
        }
        _ => {
            let opening = CoinOpening::from_bytes(bytes).map_err(|e| report(&e))?;
            assert_eq!(&opening.to_bytes()[..], bytes);
            let (_, commitment) = CoinCommitter::new();
            let (responder, _) = CoinResponder::new(commitment);
            responder.finish(&opening).map_err(|e| report(&e))?;
            Ok(())
        }
    }
}

/// The base-OT pairs an honest SoftSpokenOT receiver of
/// [`preprocess_messages`]' case 5 holds: pair `j` is `(2j, 2j + 1)`.
pub fn soft_spoken_pairs() -> Vec<[Block; 2]> {
    (0..128u128)
        .map(|j| [Block(2 * j), Block(2 * j + 1)])
        .collect()
}

/// The sender's side of [`soft_spoken_pairs`]: the message of each pair
/// that the bits of `delta` choose.
fn soft_spoken_seeds(delta: &yao_core::auth::auth_bit::GlobalKey) -> Vec<Block> {
    let d = delta.block().0;
    soft_spoken_pairs()
        .iter()
        .enumerate()
        .map(|(j, p)| p[(d >> j) as usize & 1])
        .collect()
}

pub fn ot_messages(data: &[u8]) -> Outcome {
    let mut b = Bytes(data);
    let which = b.u8();
    let count = b.u16();
    let bytes = b.rest();
    match which % 5 {
        0 => {
            let msg = csw::ReceiverMsg::from_bytes(bytes, usize::from(count % 64))
                .map_err(|e| report(&e))?;
            assert_eq!(msg.as_bytes(), bytes);
            let keys = csw::BaseSender::new().keys(&msg).map_err(|e| report(&e))?;
            assert_eq!(
                keys.challenge().as_bytes().len(),
                csw::Challenge::len_for(msg.len())
            );
            Ok(())
        }
        1 => {
            let n = usize::from(count >> 8) % 8;
            let (key, challenge) = bytes.split_at(csw::SenderKey::LEN.min(bytes.len()));
            let key = csw::SenderKey::from_bytes(key).map_err(|e| report(&e))?;
            let challenge = csw::Challenge::from_bytes(challenge, n).map_err(|e| report(&e))?;
            let choices = bits_from(count as u8, n);
            let (receiver, _) = csw::BaseReceiver::new(&choices);
            let (keys, _) = receiver
                .derive(&key)
                .answer(&challenge)
                .map_err(|e| report(&e))?;
            assert_eq!(keys.len(), n);
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
            let msg = iknp::ChunkMsg::from_bytes(bytes, ots).map_err(|e| report(&e))?;
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
                .map_err(|e| report(&e))
        }
    }
}

/// A session set up once and the feed its peer's bytes come from.
type Reused<S> = RefCell<Vec<Option<(Feed, S)>>>;

/// Session `k` of `n` in `sessions`, set up on first use by `start` on a
/// fresh feed while `peer` plays the honest other side live.
fn reused<S>(
    sessions: &mut Vec<Option<(Feed, S)>>,
    k: usize,
    n: usize,
    peer: impl FnOnce(MemChannel) + Send + 'static,
    start: impl FnOnce(Feed) -> Result<S, ProtocolError>,
) -> &mut (Feed, S) {
    sessions.resize_with(n, || None);
    sessions[k].get_or_insert_with(|| {
        let feed = Feed::default();
        let session = feed
            .live(peer, || start(feed.clone()))
            .expect("an honest setup succeeds");
        (feed, session)
    })
}

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
    // The scheme: half-gates, or three-halves (25-byte tables) for picks
    // past the circuits.
    let schemes = yao_core::Scheme::ALL;
    let scheme = schemes[pick / circuits.len() % schemes.len()];
    let settings = handshake::Settings {
        scheme,
        ..Default::default()
    };
    let inputs = inputs_of(circuit, Party::Evaluator, seed);
    let stream = b.rest();
    EVALUATORS.with(|cell| {
        let mut sessions = cell.borrow_mut();
        let (feed, session) = reused(
            &mut sessions,
            k + circuits.len() * (scheme.code() as usize),
            circuits.len() * schemes.len(),
            honest_garbler_setup(circuit, settings),
            |feed| {
                let setup =
                    yao_runtime::protocol::EvaluatorSetup::new(circuit)?.with_settings(settings);
                EvaluatorSession::start_prepared(feed, setup)
            },
        );
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
                    last = Err(report(&e));
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
        let (feed, session) = reused(
            &mut sessions,
            k,
            circuits.len(),
            honest_evaluator_setup(circuit),
            |feed| GarblerSession::start(feed, circuit),
        );
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
        result.map_err(|e| report(&e))
    })
}

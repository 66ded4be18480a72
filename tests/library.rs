//! The library API end to end: both parties through `yao::run` and
//! `yao::Session` over TCP, a Unix socket and an in-memory channel, checked
//! against the plaintext evaluation and against Rust arithmetic; and the
//! errors a caller meets, each naming the input or output, its type and
//! what was given.

use std::net::{TcpListener, TcpStream};
use yao::{Circuit, Error, InputError, Inputs, OutputError, Outputs, Party, Session};

#[path = "../examples/millionaires.rs"]
mod millionaires_example;

#[test]
fn the_example_runs() {
    millionaires_example::main().unwrap();
}

fn millionaires() -> Circuit {
    Circuit::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/circuits/millionaires.yao"
    ))
    .unwrap()
}

/// Runs both parties over loopback TCP; returns what each learned.
fn over_tcp(garbler: &Inputs, evaluator: &Inputs) -> (Outputs, Outputs) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::scope(|s| {
        let g = s.spawn(|| {
            let (stream, _) = listener.accept().unwrap();
            yao::run(stream, garbler)
        });
        let e = yao::run(TcpStream::connect(addr).unwrap(), evaluator).unwrap();
        (g.join().unwrap().unwrap(), e)
    })
}

#[test]
fn millionaires_over_tcp_agree_with_plaintext_and_rust() {
    let circuit = millionaires();
    for (alice, bob) in [
        (5_000_000u64, 4_200_000u64),
        (3, 3),
        (0, u64::MAX),
        (u64::MAX, 0),
    ] {
        let mut g = circuit.inputs(Party::Garbler);
        g.set("alice", alice).unwrap();
        let mut e = circuit.inputs(Party::Evaluator);
        e.set("bob", bob).unwrap();
        let (g_out, e_out) = over_tcp(&g, &e);
        let plain = circuit.eval_plain(&g, &e).unwrap();
        assert_eq!(g_out, e_out, "both parties learn the same");
        assert_eq!(e_out, plain, "{alice} > {bob}");
        assert_eq!(e_out.get::<bool>("out").unwrap(), alice > bob);
    }
}

/// The malicious level through the library: values of every kind over a
/// Unix socket agree with the plaintext evaluation; a peer at the
/// semi-honest level is refused with the mismatch named.
#[test]
fn run_malicious_agrees_with_plaintext_and_refuses_a_semi_honest_peer() {
    use std::os::unix::net::UnixStream;
    let circuit = Circuit::compile(KINDS).unwrap();
    for case in kinds_cases() {
        let (g, e) = case.inputs(&circuit);
        let (g_end, e_end) = UnixStream::pair().unwrap();
        let (g_out, e_out) = std::thread::scope(|s| {
            let garbler = s.spawn(|| yao::run_malicious(g_end, &g));
            let e_out = yao::run_malicious(e_end, &e).unwrap();
            (garbler.join().unwrap().unwrap(), e_out)
        });
        assert_eq!(g_out, e_out);
        assert_eq!(e_out, circuit.eval_plain(&g, &e).unwrap());
    }
    let (g, e) = kinds_cases()[0].inputs(&circuit);
    let (g_end, e_end) = UnixStream::pair().unwrap();
    let (g_res, e_res) = std::thread::scope(|s| {
        let garbler = s.spawn(|| yao::run_malicious(g_end, &g).map(|_| ()));
        let e_res = yao::run(e_end, &e).map(|_| ());
        (garbler.join().unwrap(), e_res)
    });
    for err in [g_res.unwrap_err(), e_res.unwrap_err()] {
        let text = yao::runtime::report::report(&err);
        assert!(text.contains("both must use the same --security"), "{text}");
    }
}

/// `run_malicious_repeated`: one session, every execution's outputs equal
/// to the plaintext evaluation; different counts are refused by both.
#[test]
fn run_malicious_repeated_gives_every_execution_and_refuses_another_count() {
    use std::os::unix::net::UnixStream;
    let circuit = Circuit::compile(KINDS).unwrap();
    let (g, e) = kinds_cases()[1].inputs(&circuit);
    let run = |counts: [u64; 2]| {
        let (g_end, e_end) = UnixStream::pair().unwrap();
        std::thread::scope(|s| {
            let garbler = s.spawn(|| yao::run_malicious_repeated(g_end, &g, counts[0]));
            let e_out = yao::run_malicious_repeated(e_end, &e, counts[1]);
            (garbler.join().unwrap(), e_out)
        })
    };
    let (g_out, e_out) = run([3, 3]);
    let (g_out, e_out) = (g_out.unwrap(), e_out.unwrap());
    assert_eq!(e_out.len(), 3);
    assert_eq!(g_out, e_out);
    let plain = circuit.eval_plain(&g, &e).unwrap();
    assert!(e_out.iter().all(|o| *o == plain));
    let (g_res, e_res) = run([2, 4]);
    for err in [g_res.unwrap_err(), e_res.unwrap_err()] {
        let text = yao::runtime::report::report(&err);
        assert!(text.contains("both must use the same --repeat"), "{text}");
    }
}

/// Inputs of every kind: a wide integer given as big-endian bytes, a
/// signed array, a bool, a byte array, a tuple.
const KINDS: &str = "
circuit kinds(
    garbler key: u128,
    garbler xs: [i8; 4],
    garbler flag: bool,
    garbler tag: [u8; 4],
    evaluator mask: u128,
    evaluator k: i16,
    evaluator pair: (u8, bool),
) -> (x: u128, sum: i16, either: bool, tag2: [u8; 4], be: u32) {
    let mut sum = k;
    for i in 0..4 { sum += xs[i] as i16; }
    let mut t = tag;
    t[0] = tag[0] + pair.0;
    (key ^ mask, sum, flag ^ pair.1, t, tag[0] ++ tag[1] ++ tag[2] ++ tag[3])
}";

struct Kinds {
    key: [u8; 16],
    xs: [i8; 4],
    flag: bool,
    tag: [u8; 4],
    mask: u128,
    k: i16,
    pair: (u8, bool),
}

impl Kinds {
    fn inputs(&self, circuit: &Circuit) -> (Inputs, Inputs) {
        let mut g = circuit.inputs(Party::Garbler);
        g.set("key", self.key)
            .unwrap()
            .set("xs", self.xs)
            .unwrap()
            .set("flag", self.flag)
            .unwrap()
            .set("tag", &self.tag[..])
            .unwrap();
        let mut e = circuit.inputs(Party::Evaluator);
        e.set("mask", self.mask)
            .unwrap()
            .set("k", self.k)
            .unwrap()
            .set("pair", self.pair)
            .unwrap();
        (g, e)
    }

    /// The outputs as Rust computes them.
    fn check(&self, out: &Outputs) {
        let sum = self
            .xs
            .iter()
            .fold(self.k, |s, &x| s.wrapping_add(x as i16));
        let mut tag2 = self.tag;
        tag2[0] = tag2[0].wrapping_add(self.pair.0);
        assert_eq!(
            out.get::<u128>("x").unwrap(),
            u128::from_be_bytes(self.key) ^ self.mask
        );
        assert_eq!(
            out.get::<[u8; 16]>("x").unwrap(),
            (u128::from_be_bytes(self.key) ^ self.mask).to_be_bytes()
        );
        assert_eq!(out.get::<i16>("sum").unwrap(), sum);
        assert_eq!(out.get::<i64>("sum").unwrap(), sum as i64);
        assert_eq!(out.get::<bool>("either").unwrap(), self.flag ^ self.pair.1);
        assert_eq!(out.get::<[u8; 4]>("tag2").unwrap(), tag2);
        assert_eq!(out.get::<Vec<u16>>("tag2").unwrap(), tag2.map(u16::from));
        assert_eq!(out.get::<u32>("be").unwrap(), u32::from_be_bytes(self.tag));
        assert_eq!(out.get::<[u8; 4]>("be").unwrap(), self.tag);
    }
}

fn kinds_cases() -> Vec<Kinds> {
    vec![
        Kinds {
            key: *b"0123456789abcdef",
            xs: [-1, 2, -128, 127],
            flag: true,
            tag: [1, 2, 3, 4],
            mask: 0xffff_0000_0000_0000_0000_0000_0000_0001,
            k: -10,
            pair: (5, true),
        },
        Kinds {
            key: [0; 16],
            xs: [-128; 4],
            flag: false,
            tag: [255, 0, 0, 7],
            mask: u128::MAX,
            k: i16::MIN,
            pair: (255, false),
        },
    ]
}

#[test]
fn every_kind_of_value_over_tcp() {
    let circuit = Circuit::compile(KINDS).unwrap();
    for case in kinds_cases() {
        let (g, e) = case.inputs(&circuit);
        let (g_out, e_out) = over_tcp(&g, &e);
        assert_eq!(g_out, e_out);
        assert_eq!(e_out, circuit.eval_plain(&g, &e).unwrap());
        case.check(&e_out);
    }
}

/// A `match` on a struct and a tuple (nested patterns, ranges, `@` with
/// alternatives, alternatives that bind different fields) in real 2PC,
/// against Rust's own `match` on the same values.
const MATCH: &str = "
struct P { x: u8, y: u8 }
circuit m(garbler p: P, evaluator q: (bool, i8)) -> (kind: u16, v: i16) {
    let kind: u16 = match p {
        P { x: 0, y } => y as u16,
        P { x: n @ (10 | 20..=29), y: 100..200 } => (n as u16) * 3,
        P { x, y: 7 } | P { x: 7, y: x } => (x as u16) + 2000,
        P { y: 0..=127, .. } => 3000,
        _ => 4000,
    };
    let v: i16 = match (p.x, q) {
        (0..=9, (true, k @ (-8..=8 | 100))) => (k as i16) * 10,
        (_, (true, k)) => k as i16,
        (x, (false, _)) => -(x as i16),
    };
    (kind, v)
}";

#[test]
fn struct_and_tuple_patterns_in_two_party_computation_agree_with_rust() {
    let circuit = Circuit::compile(MATCH).unwrap();
    let cases: [(u8, u8, bool, i8); 8] = [
        (0, 42, true, 5),
        (20, 150, true, 100),
        (25, 99, false, -3),
        (3, 7, true, 9),
        (7, 200, true, -100),
        (9, 255, true, -8),
        (130, 5, false, 0),
        (255, 128, true, 127),
    ];
    for (x, y, flag, k) in cases {
        let want_kind: u16 = match (x, y) {
            (0, y) => y as u16,
            (n @ (10 | 20..=29), 100..200) => n as u16 * 3,
            (x, 7) | (7, x) => x as u16 + 2000,
            (_, 0..=127) => 3000,
            _ => 4000,
        };
        let want_v: i16 = match (x, (flag, k)) {
            (0..=9, (true, k @ (-8..=8 | 100))) => k as i16 * 10,
            (_, (true, k)) => k as i16,
            (x, (false, _)) => -(x as i16),
        };
        let mut g = circuit.inputs(Party::Garbler);
        g.set_text("p", &format!("{{x: {x}, y: {y}}}")).unwrap();
        let mut e = circuit.inputs(Party::Evaluator);
        e.set("q", (flag, k)).unwrap();
        let (g_out, e_out) = over_tcp(&g, &e);
        assert_eq!(g_out, e_out);
        assert_eq!(e_out, circuit.eval_plain(&g, &e).unwrap());
        assert_eq!(e_out.get::<u16>("kind").unwrap(), want_kind, "{x}, {y}");
        assert_eq!(e_out.get::<i16>("v").unwrap(), want_v, "{x}, {flag}, {k}");
    }
}

/// Several executions in one session, over a Unix socket pair (a stream
/// that is not TCP: `StreamChannel`), one at a time and pipelined.
#[cfg(unix)]
#[test]
fn a_session_of_several_executions_over_a_unix_socket() {
    use std::os::unix::net::UnixStream;
    let circuit = Circuit::compile(KINDS).unwrap();
    let cases = kinds_cases();
    let (g_inputs, e_inputs): (Vec<Inputs>, Vec<Inputs>) =
        cases.iter().map(|c| c.inputs(&circuit)).unzip();
    let (g_end, e_end) = UnixStream::pair().unwrap();
    let (g_out, e_out) = std::thread::scope(|s| {
        let g = s.spawn(|| -> Result<Vec<Outputs>, Error> {
            let mut session = Session::start(g_end, &circuit, Party::Garbler)?;
            let mut out = vec![session.execute(&g_inputs[0])?];
            out.extend(session.execute_all(&g_inputs)?);
            session.finish()?;
            Ok(out)
        });
        let mut session = Session::start(e_end, &circuit, Party::Evaluator).unwrap();
        // The evaluator pipelines all three; the garbler runs one, then two.
        let all = [&e_inputs[0], &e_inputs[0], &e_inputs[1]];
        let out = session.execute_all(all).unwrap();
        session.finish().unwrap();
        (g.join().unwrap().unwrap(), out)
    });
    assert_eq!(g_out, e_out);
    for (out, k) in e_out.iter().zip([0, 0, 1]) {
        assert_eq!(
            *out,
            circuit.eval_plain(&g_inputs[k], &e_inputs[k]).unwrap()
        );
        cases[k].check(out);
    }
}

/// Both parties in one process over the runtime's in-memory channel.
#[test]
fn a_session_on_a_channel_of_ones_own() {
    let circuit = millionaires();
    let (g_ch, e_ch) = yao::runtime::MemChannel::pair();
    let mut g = circuit.inputs(Party::Garbler);
    g.set_text("alice", "0x10").unwrap();
    let mut e = circuit.inputs(Party::Evaluator);
    e.set("bob", 15).unwrap();
    let out = std::thread::scope(|s| {
        s.spawn(|| {
            let mut session = Session::start_on(g_ch, &circuit, Party::Garbler).unwrap();
            session.execute(&g).unwrap();
            session.finish().unwrap();
        });
        let mut session = Session::start_on(e_ch, &circuit, Party::Evaluator).unwrap();
        let out = session.execute(&e).unwrap();
        session.finish().unwrap();
        out
    });
    assert!(out.get::<bool>("out").unwrap());
    assert_eq!(out.to_string(), "out = true\n");
}

/// A Bristol circuit: 1-bit groups read and set as `bool`.
#[test]
fn bristol_text_with_bool_groups() {
    // out0 = (a & b) ^ (a ^ b) = a | b
    let or = "3 5\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 3 XOR\n2 1 2 3 4 XOR\n";
    let circuit = Circuit::from_bristol(or, &Default::default()).unwrap();
    for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut g = circuit.inputs(Party::Garbler);
        g.set("in0", a).unwrap();
        let mut e = circuit.inputs(Party::Evaluator);
        e.set("in1", b as u8).unwrap();
        let (_, out) = over_tcp(&g, &e);
        assert_eq!(out.get::<bool>("out0").unwrap(), a | b);
        assert_eq!(out.get::<u8>("out0").unwrap(), (a | b) as u8);
    }
}

fn input_error(e: Error) -> InputError {
    match e {
        Error::Input(e) => e,
        other => panic!("not an input error: {other}"),
    }
}

#[test]
fn unknown_input_names_suggest_the_right_one() {
    let circuit = millionaires();
    let mut g = circuit.inputs(Party::Garbler);
    let e = g.set("alcie", 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "garbler input `alcie` does not exist; did you mean `alice`?"
    );
    assert!(matches!(
        input_error(e),
        InputError::Unknown { suggestion: Some(s), .. } if s == "alice"
    ));
    let e = g.set("carol", 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "garbler input `carol` does not exist; the garbler's inputs are alice"
    );
    let e = g.set("bob", 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`bob` is the evaluator's input, not the garbler's"
    );
}

#[test]
fn values_of_the_wrong_width_name_the_input_type_and_value() {
    let circuit = Circuit::compile(KINDS).unwrap();
    let g = circuit.inputs(Party::Garbler);
    let set = |name: &str, value: &dyn Fn(&mut Inputs, &str) -> Result<(), Error>| {
        value(&mut g.clone(), name).unwrap_err()
    };
    let cases: Vec<(Error, &str)> = vec![
        (
            set("xs", &|i, n| i.set(n, [1i8, 2, 3]).map(drop)),
            "garbler input `xs: [i8; 4]`: [i8; 4] takes 4 elements, found 3",
        ),
        (
            set("xs", &|i, n| i.set(n, [1, 2, 3, 200]).map(drop)),
            "garbler input `xs: [i8; 4]`: 200 does not fit in i8: the range is -128 to 127",
        ),
        (
            set("key", &|i, n| i.set(n, [0u8; 15]).map(drop)),
            "garbler input `key: u128`: expected u128, found an array of 15 elements",
        ),
        (
            set("key", &|i, n| i.set(n, -1).map(drop)),
            "garbler input `key: u128`: -1 does not fit in u128: the range is 0 to 2^128 - 1",
        ),
        (
            set("tag", &|i, n| i.set(n, 7u32).map(drop)),
            "garbler input `tag: [u8; 4]`: expected [u8; 4], found the number 7",
        ),
        (
            set("flag", &|i, n| i.set(n, 2).map(drop)),
            "garbler input `flag: bool`: expected bool, found the number 2",
        ),
        (
            set("xs", &|i, n| i.set_text(n, "[1, 2, 3, x]").map(drop)),
            "garbler input `xs: [i8; 4]`: cannot read `[1, 2, 3, x]` as a value: \
             `x` is not a number (decimal, 0x hex or 0b binary) nor true/false",
        ),
    ];
    for (e, message) in cases {
        assert_eq!(e.to_string(), message);
        assert!(matches!(input_error(e), InputError::Value { .. }));
    }
    let mut e = circuit.inputs(Party::Evaluator);
    let err = e.set("pair", (1u8, true, 3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "evaluator input `pair: (u8, bool)`: (u8, bool) takes 2 elements, found 3"
    );
}

#[test]
fn a_missing_input_fails_before_the_peer_is_contacted() {
    let circuit = Circuit::compile(KINDS).unwrap();
    let mut g = circuit.inputs(Party::Garbler);
    g.set("key", 1).unwrap().set("flag", true).unwrap();
    assert_eq!(g.missing().collect::<Vec<_>>(), ["xs", "tag"]);
    let e = g.bits().unwrap_err();
    assert_eq!(e.to_string(), "missing garbler input `xs: [i8; 4]`");
    // A stream that panics when used: `run` must not touch it.
    struct Untouchable;
    impl std::io::Read for Untouchable {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("read before the inputs were checked")
        }
    }
    impl std::io::Write for Untouchable {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            panic!("wrote before the inputs were checked")
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = yao::run(Untouchable, &g).unwrap_err();
    assert!(matches!(
        input_error(e),
        InputError::Missing { name, .. } if name == "xs"
    ));
}

#[test]
fn outputs_of_the_wrong_type_or_name() {
    let circuit = Circuit::compile(KINDS).unwrap();
    let case = &kinds_cases()[0];
    let (g, e) = case.inputs(&circuit);
    let out = circuit.eval_plain(&g, &e).unwrap();
    let cases: Vec<(Error, &str)> = vec![
        (
            out.get::<u64>("x").unwrap_err(),
            "output `x: u128` cannot be read as u64; read it as u128",
        ),
        (
            out.get::<u16>("sum").unwrap_err(),
            "output `sum: i16` cannot be read as u16; read it as i16",
        ),
        (
            out.get::<u8>("either").unwrap_err(),
            "output `either: bool` cannot be read as u8; read it as bool",
        ),
        (
            out.get::<[u8; 3]>("tag2").unwrap_err(),
            "output `tag2: [u8; 4]` cannot be read as [u8; 3]; read it as [u8; 4]",
        ),
        (
            out.get::<[i8; 4]>("tag2").unwrap_err(),
            "output `tag2: [u8; 4]` cannot be read as [i8; 4]; read it as [u8; 4]",
        ),
        (
            out.get::<bool>("summ").unwrap_err(),
            "output `summ` does not exist; did you mean `sum`?",
        ),
    ];
    for (e, message) in cases {
        assert_eq!(e.to_string(), message);
        assert!(matches!(e, Error::Output(_)));
    }
    assert!(matches!(
        out.get::<bool>("nothing"),
        Err(Error::Output(OutputError::Unknown {
            suggestion: None,
            ..
        }))
    ));
}

#[test]
fn inputs_for_the_wrong_party_or_circuit_are_refused() {
    let circuit = millionaires();
    let other = Circuit::compile(KINDS).unwrap();
    let mut g = circuit.inputs(Party::Garbler);
    g.set("alice", 1).unwrap();
    let mut e = circuit.inputs(Party::Evaluator);
    e.set("bob", 1).unwrap();
    let err = circuit.eval_plain(&e, &g).unwrap_err();
    assert_eq!(
        err.to_string(),
        "these are the evaluator's inputs, where the garbler's are expected"
    );
    let kinds = kinds_cases()[0].inputs(&other);
    let err = circuit.eval_plain(&kinds.0, &e).unwrap_err();
    assert_eq!(
        err.to_string(),
        "these inputs are for circuit `kinds`, not `millionaires`"
    );
}

#[test]
fn compile_errors_render_their_diagnostics() {
    let e = Circuit::compile("circuit f(garbler a: u8) -> u8 { a + b }").unwrap_err();
    assert!(matches!(e, Error::Compile(_)));
    let text = e.to_string();
    assert!(text.contains("error") && text.contains('b'), "{text}");
    let e = Circuit::load("no/such/circuit.yao").unwrap_err();
    assert!(e.to_string().contains("no/such/circuit.yao"), "{e}");
}

/// Secure outsourcing through the API: providers split their values with
/// `Circuit::share`, each server reads its files with `set_shares`, and
/// `run` checks the splits with the other server before computing.
#[test]
fn shared_inputs_from_share_files() {
    let circuit = Circuit::compile(
        "circuit total(shared xs: [u8; 3], garbler bonus: u8) -> u8 { xs[0] + xs[1] + xs[2] + bonus }",
    )
    .unwrap();
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("library-shares-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (i, x) in [10u8, 20, 30].into_iter().enumerate() {
        let files = circuit
            .share(&format!("xs[{i}]"), x, &format!("p{i}"))
            .unwrap();
        yao::share::write(&dir, &files).unwrap();
    }
    let mut g = circuit.inputs(Party::Garbler);
    g.set_shares(&dir).unwrap().set("bonus", 1).unwrap();
    let e = g.set("xs.g", [0u8; 3]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "garbler input `xs.g` is given both as a value and by share files"
    );
    let mut e = circuit.inputs(Party::Evaluator);
    assert_eq!(
        e.bits().unwrap_err().to_string(),
        "missing evaluator input `xs.e: [u8; 3]`, the evaluator's share of the shared input `xs`"
    );
    e.set_shares(&dir).unwrap();
    let (g_out, e_out) = over_tcp(&g, &e);
    assert_eq!(g_out, e_out);
    assert_eq!(e_out.get::<u8>("out").unwrap(), 61);
    // A session started without the check refuses inputs from share files.
    let (g_ch, e_ch) = yao::runtime::MemChannel::pair();
    let refused = std::thread::scope(|s| {
        let (circuit, e) = (&circuit, &e);
        s.spawn(move || {
            Session::start_on(e_ch, circuit, Party::Evaluator).and_then(|mut s| s.execute(e))
        });
        Session::start_on(g_ch, circuit, Party::Garbler)
            .unwrap()
            .execute(&g)
    });
    assert!(matches!(
        refused,
        Err(Error::Input(InputError::SharesNeedRun))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

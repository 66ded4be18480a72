//! A hostile or broken peer over real TCP: a length field of 2^63, a frame
//! cut short, a flood of bytes before the handshake, a peer that says
//! nothing, a peer that trickles its bytes one at a time. Each must end the session with an error that names what
//! happened, and the victim's memory must not follow what the peer
//! announces: a counting allocator measures the peak heap use of the
//! victim's thread during the call.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use yao_compiler::bristol;
use yao_compiler::ir::{Circuit, Party};
use yao_runtime::channel::{Channel, ChannelError, TcpChannel};
use yao_runtime::ot::OtError;
use yao_runtime::protocol::handshake::{Role, MAGIC, VERSION};
use yao_runtime::protocol::{EvaluatorSession, GarblerSession, Phase, ProtocolError};
use yao_runtime::report::report;

/// Counts the bytes each thread has live on the heap, and their peak.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping
// touches only const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the most heap this thread held at
/// once during it, beyond what it held before.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get) - base;
    (r, peak.max(0) as usize)
}

/// What the victim may hold at most: its channel buffers (2 x 64 KiB), the
/// plan of a tiny circuit, the base-OT messages (4 KiB) and small change.
/// An allocation that followed a hostile length would be far above it.
const HEAP_BOUND: usize = 1 << 20;

fn circuit() -> Circuit {
    let text = "2 5\n2 2 1\n1 2\n\n2 1 0 2 3 AND\n2 1 1 2 4 XOR\n";
    let options = bristol::Options {
        parties: Some(vec![Party::Garbler, Party::Evaluator]),
        ..Default::default()
    };
    bristol::parse("tiny", text, &options).expect("valid circuit")
}

fn hello(role: Role, circuit: &Circuit) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&VERSION.to_le_bytes());
    h.push(role as u8);
    h.extend_from_slice(&circuit.id().0);
    let settings = yao_runtime::protocol::Settings::default();
    h.push(settings.scheme.code());
    h.push(settings.ot.code());
    h.push(settings.security.code());
    h
}

/// A connected pair: the victim's channel (with a timeout, so a test can
/// never hang) and the raw stream the bad peer plays on.
fn connect() -> (TcpChannel, TcpStream) {
    connect_with(Duration::from_secs(20))
}

/// [`connect`] with the victim's timeout chosen.
fn connect_with(timeout: Duration) -> (TcpChannel, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (victim, _) = listener.accept().unwrap();
    let channel = TcpChannel::new(victim, Some(timeout)).unwrap();
    (channel, peer)
}

/// The bad peer writes `bytes`, then keeps the connection open, reading and
/// discarding what the victim sends, until the victim hangs up.
fn bad_peer(mut peer: TcpStream, bytes: Vec<u8>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let _ = peer.write_all(&bytes);
        let _ = peer.flush();
        let mut sink = [0u8; 4096];
        while matches!(peer.read(&mut sink), Ok(n) if n > 0) {}
    })
}

fn frame_header(len: u64) -> [u8; 8] {
    len.to_le_bytes()
}

#[test]
fn a_length_field_of_2_pow_63_is_refused_before_allocating() {
    let circuit = circuit();
    for announced in [1u64 << 63, u64::MAX, 1 << 30] {
        // The evaluator reads the garbler's base-OT frame.
        let (ch, peer) = connect();
        let mut bytes = hello(Role::Garbler, &circuit);
        bytes.extend(frame_header(announced));
        let peer = bad_peer(peer, bytes);
        let (result, peak) = peak_heap(|| EvaluatorSession::start(ch, &circuit).map(drop));
        let err = result.expect_err("a 2^63-byte frame must be refused");
        match &err {
            ProtocolError::Ot {
                phase: Phase::ObliviousTransfer,
                source: OtError::Channel(ChannelError::TooLarge { len, max, .. }),
            } => {
                assert_eq!(*len, announced);
                assert_eq!(*max, 32 + 128 * 32);
            }
            other => panic!("wrong error for a huge frame: {other:?}"),
        }
        let text = report(&err);
        assert!(text.contains(&announced.to_string()), "{text}");
        assert!(text.contains("base-OT receiver message"), "{text}");
        assert!(peak < HEAP_BOUND, "the evaluator held {peak} bytes");
        peer.join().unwrap();

        // The garbler reads the evaluator's base-OT answer.
        let (ch, peer) = connect();
        let mut bytes = hello(Role::Evaluator, &circuit);
        bytes.extend(frame_header(announced));
        let peer = bad_peer(peer, bytes);
        let (result, peak) = peak_heap(|| GarblerSession::start(ch, &circuit).map(drop));
        let err = result.expect_err("a 2^63-byte frame must be refused");
        assert!(
            matches!(
                &err,
                ProtocolError::Ot {
                    source: OtError::Channel(ChannelError::TooLarge { len, max: 32, .. }),
                    ..
                } if *len == announced
            ),
            "{err:?}"
        );
        assert!(peak < HEAP_BOUND, "the garbler held {peak} bytes");
        peer.join().unwrap();
    }
}

#[test]
fn the_channel_itself_bounds_frames() {
    let (mut ch, peer) = connect();
    let peer = bad_peer(peer, frame_header(1 << 63).to_vec());
    let (result, peak) = peak_heap(|| ch.recv_frame("test frame", 1 << 20));
    assert!(
        matches!(result, Err(ChannelError::TooLarge { len, max, what: "test frame" })
            if len == 1 << 63 && max == 1 << 20)
    );
    assert!(peak < 4096, "recv_frame allocated {peak} bytes");
    drop(ch);
    peer.join().unwrap();
}

#[test]
fn a_truncated_frame_is_a_clear_error() {
    let circuit = circuit();
    // A base-OT frame that announces 4128 bytes and delivers 100.
    let (ch, mut peer) = connect();
    let mut bytes = hello(Role::Garbler, &circuit);
    bytes.extend(frame_header(32 + 128 * 32));
    bytes.extend([7u8; 100]);
    peer.write_all(&bytes).unwrap();
    peer.shutdown(std::net::Shutdown::Write).unwrap();
    let (result, peak) = peak_heap(|| EvaluatorSession::start(ch, &circuit).map(drop));
    let err = result.expect_err("a truncated frame must fail");
    assert!(
        matches!(
            &err,
            ProtocolError::Ot {
                phase: Phase::ObliviousTransfer,
                source: OtError::Channel(ChannelError::Closed),
            }
        ),
        "{err:?}"
    );
    assert!(err.is_disconnect());
    assert!(
        report(&err).contains("the peer closed the connection"),
        "{err}"
    );
    assert!(peak < HEAP_BOUND, "{peak}");
    drop(peer);

    // A hello cut short.
    let (ch, mut peer) = connect();
    peer.write_all(&hello(Role::Garbler, &circuit)[..20])
        .unwrap();
    peer.shutdown(std::net::Shutdown::Write).unwrap();
    let err = EvaluatorSession::start(ch, &circuit)
        .map(drop)
        .expect_err("a truncated hello must fail");
    assert!(
        matches!(
            &err,
            ProtocolError::Channel {
                phase: Phase::Handshake,
                source: ChannelError::Closed,
            }
        ),
        "{err:?}"
    );
    assert!(report(&err).contains("during the handshake"), "{err}");
}

/// The flooding peer writes up to `total` bytes of `fill` (after `prefix`)
/// without reading, and stops when the victim hangs up.
fn flood(mut peer: TcpStream, prefix: Vec<u8>, fill: u8, total: usize) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        if peer.write_all(&prefix).is_err() {
            return;
        }
        let chunk = vec![fill; 1 << 16];
        let mut sent = 0;
        while sent < total && peer.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
    })
}

#[test]
fn a_flood_before_the_handshake_is_not_yao() {
    let circuit = circuit();
    for garbler in [false, true] {
        let (ch, peer) = connect();
        let peer = flood(peer, Vec::new(), b'A', 64 << 20);
        let (result, peak) = peak_heap(|| {
            if garbler {
                GarblerSession::start(ch, &circuit).map(drop)
            } else {
                EvaluatorSession::start(ch, &circuit).map(drop)
            }
        });
        let err = result.expect_err("junk is not a Yao peer");
        assert!(
            matches!(&err, ProtocolError::NotYao { found } if found == b"AAAAAAAA"),
            "{err:?}"
        );
        assert!(report(&err).contains("not a Yao party"), "{err}");
        assert!(peak < HEAP_BOUND, "the victim held {peak} bytes");
        peer.join().unwrap();
    }
}

#[test]
fn a_flood_after_a_valid_hello_is_refused_as_an_oversized_frame() {
    let circuit = circuit();
    let (ch, peer) = connect();
    let peer = flood(peer, hello(Role::Garbler, &circuit), 0xff, 64 << 20);
    let (result, peak) = peak_heap(|| EvaluatorSession::start(ch, &circuit).map(drop));
    let err = result.expect_err("a flood is no base-OT message");
    assert!(
        matches!(
            &err,
            ProtocolError::Ot {
                source: OtError::Channel(ChannelError::TooLarge { len: u64::MAX, .. }),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(peak < HEAP_BOUND, "the victim held {peak} bytes");
    peer.join().unwrap();
}

#[test]
fn a_silent_peer_times_out() {
    let circuit = circuit();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let _peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (victim, _) = listener.accept().unwrap();
    let ch = TcpChannel::new(victim, Some(Duration::from_millis(200))).unwrap();
    let err = EvaluatorSession::start(ch, &circuit)
        .map(drop)
        .expect_err("silence must end in a timeout");
    assert!(
        matches!(
            &err,
            ProtocolError::Channel {
                phase: Phase::Handshake,
                source: ChannelError::Timeout(_),
            }
        ),
        "{err:?}"
    );
    assert!(err.is_disconnect());
    assert!(report(&err).contains("timed out"), "{err}");
}

/// The victims' timeout in the trickle tests, and how often a trickling
/// peer sends its next byte: often enough that the channel's idle timeout
/// alone would never fire.
const TRICKLE_TIMEOUT: Duration = Duration::from_millis(400);
const TRICKLE_EVERY: Duration = Duration::from_millis(120);
/// A trickling peer gives up after this long, so that a victim that does
/// not cut it off fails its test instead of hanging it.
const TRICKLE_FOR: Duration = Duration::from_secs(10);

/// A peer that sends `prompt` at once, then `trickled` one byte every
/// [`TRICKLE_EVERY`], until the victim hangs up or [`TRICKLE_FOR`] passes.
fn trickler(mut peer: TcpStream, prompt: Vec<u8>, trickled: Vec<u8>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let started = Instant::now();
        if peer.write_all(&prompt).is_err() {
            return;
        }
        for byte in trickled {
            thread::sleep(TRICKLE_EVERY);
            if started.elapsed() > TRICKLE_FOR || peer.write_all(&[byte]).is_err() {
                return;
            }
        }
    })
}

fn other(role: Role) -> Role {
    match role {
        Role::Garbler => Role::Evaluator,
        Role::Evaluator => Role::Garbler,
    }
}

/// Starts a session in `role` against a peer that sends `prompt`, then
/// trickles `trickled`; returns the error and how long the start took.
fn start_against_trickler(
    role: Role,
    prompt: Vec<u8>,
    trickled: Vec<u8>,
) -> (ProtocolError, Duration) {
    let circuit = circuit();
    let (ch, peer) = connect_with(TRICKLE_TIMEOUT);
    let peer = trickler(peer, prompt, trickled);
    let started = Instant::now();
    let result = match role {
        Role::Garbler => GarblerSession::start(ch, &circuit).map(drop),
        Role::Evaluator => EvaluatorSession::start(ch, &circuit).map(drop),
    };
    let took = started.elapsed();
    peer.join().unwrap();
    (result.expect_err("a trickling peer must be cut off"), took)
}

/// The channel error under a protocol error, if there is one.
fn channel_error(e: &ProtocolError) -> Option<&ChannelError> {
    match e {
        ProtocolError::Channel { source, .. }
        | ProtocolError::Ot {
            source: OtError::Channel(source),
            ..
        } => Some(source),
        _ => None,
    }
}

/// Checks that `err` is the setup deadline of [`TRICKLE_TIMEOUT`], hit in
/// `phase`, and that it came in time.
fn assert_setup_deadline(role: Role, err: &ProtocolError, took: Duration, phase: Phase) {
    eprintln!("{role:?} cut off a trickling peer after {took:?}: {err}");
    assert!(
        matches!(
            channel_error(err),
            Some(ChannelError::Deadline { what: "the handshake and base OTs", limit })
                if *limit == TRICKLE_TIMEOUT
        ),
        "{role:?}: {err:?}"
    );
    let at = match err {
        ProtocolError::Channel { phase, .. } | ProtocolError::Ot { phase, .. } => *phase,
        _ => unreachable!("a channel error"),
    };
    assert_eq!(at, phase, "{err}");
    let text = report(err);
    assert!(
        text.contains("the deadline passed")
            && text.contains("did not finish the handshake and base OTs within 400ms"),
        "{text}"
    );
    assert!(err.is_disconnect());
    assert!(
        took < 3 * TRICKLE_TIMEOUT,
        "{role:?} waited {took:?} for a trickling peer"
    );
}

#[test]
fn a_peer_that_trickles_its_hello_is_cut_off_within_the_timeout() {
    // The hello alone (43 bytes) would take 5 s at one byte per 120 ms.
    let circuit = circuit();
    for role in [Role::Garbler, Role::Evaluator] {
        let (err, took) = start_against_trickler(role, Vec::new(), hello(other(role), &circuit));
        assert_setup_deadline(role, &err, took, Phase::Handshake);
    }
}

#[test]
fn a_peer_that_trickles_its_base_ot_message_is_cut_off_within_the_timeout() {
    // A prompt hello, then the first base-OT message a byte at a time: the
    // deadline covers the handshake and the base OTs as a whole.
    let circuit = circuit();
    for (role, len) in [(Role::Garbler, 32), (Role::Evaluator, 32 + 128 * 32)] {
        let mut frame = frame_header(len).to_vec();
        frame.extend(std::iter::repeat_n(0x42, len as usize));
        let (err, took) = start_against_trickler(role, hello(other(role), &circuit), frame);
        assert_setup_deadline(role, &err, took, Phase::ObliviousTransfer);
    }
}

/// Relays bytes between a victim and an honest peer: the victim's at full
/// speed, the honest peer's at full speed for the first `fast` bytes and
/// then one every [`TRICKLE_EVERY`]. Stops when either side hangs up or
/// after [`TRICKLE_FOR`].
fn trickling_proxy(victim: TcpStream, honest: TcpStream, fast: u64) -> thread::JoinHandle<()> {
    let (mut from_victim, mut to_honest) =
        (victim.try_clone().unwrap(), honest.try_clone().unwrap());
    let forward = thread::spawn(move || {
        let mut buf = [0u8; 1 << 16];
        while let Ok(n @ 1..) = from_victim.read(&mut buf) {
            if to_honest.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = from_victim.shutdown(std::net::Shutdown::Both);
        let _ = to_honest.shutdown(std::net::Shutdown::Both);
    });
    thread::spawn(move || {
        let (mut from_honest, mut to_victim) = (honest, victim);
        let started = Instant::now();
        let mut passed = 0u64;
        let mut buf = [0u8; 1 << 16];
        'relay: while let Ok(n @ 1..) = from_honest.read(&mut buf) {
            for &byte in &buf[..n] {
                if passed >= fast {
                    thread::sleep(TRICKLE_EVERY);
                }
                passed += 1;
                if started.elapsed() > TRICKLE_FOR || to_victim.write_all(&[byte]).is_err() {
                    break 'relay;
                }
            }
        }
        let _ = from_honest.shutdown(std::net::Shutdown::Both);
        let _ = to_victim.shutdown(std::net::Shutdown::Both);
        forward.join().unwrap();
    })
}

/// The bytes an honest evaluator sends and receives during session setup
/// (the handshake and base OTs), from a run in memory.
fn evaluator_setup_traffic(circuit: &Circuit) -> yao_runtime::channel::Traffic {
    let (g, e) = yao_runtime::channel::MemChannel::pair();
    thread::scope(|s| {
        let garbler = s.spawn(|| GarblerSession::start(g, circuit).map(drop));
        let traffic = EvaluatorSession::start(e, circuit).unwrap().traffic();
        garbler.join().unwrap().unwrap();
        traffic
    })
}

/// Runs one execution of the victim (in `role`) against an honest peer
/// behind a [`trickling_proxy`] that passes the peer's setup at full speed
/// and trickles everything after; returns the victim's error and how long
/// its execution ran.
fn execute_against_trickler(role: Role) -> (ProtocolError, Duration) {
    let circuit = circuit();
    let setup = evaluator_setup_traffic(&circuit);
    let fast = match role {
        Role::Garbler => setup.sent,
        Role::Evaluator => setup.received,
    };
    let (victim, victim_end) = connect_with(TRICKLE_TIMEOUT);
    let (honest, honest_end) = connect_with(TRICKLE_FOR);
    let proxy = trickling_proxy(victim_end, honest_end, fast);
    // The tiny circuit's garbler has two input bits, its evaluator one.
    let (garbler_input, evaluator_input) = ([vec![true, false]], [vec![true]]);
    let (result, took) = thread::scope(|s| {
        let peer = s.spawn(|| match role {
            Role::Garbler => EvaluatorSession::start(honest, &circuit)
                .and_then(|mut e| e.execute(&evaluator_input))
                .map(drop),
            Role::Evaluator => GarblerSession::start(honest, &circuit)
                .and_then(|mut g| g.execute(&garbler_input))
                .map(drop),
        });
        let (result, took) = match role {
            Role::Garbler => {
                let mut session = GarblerSession::start(victim, &circuit).expect("a prompt setup");
                let started = Instant::now();
                (session.execute(&garbler_input).map(drop), started.elapsed())
            }
            Role::Evaluator => {
                let mut session =
                    EvaluatorSession::start(victim, &circuit).expect("a prompt setup");
                let started = Instant::now();
                (
                    session.execute(&evaluator_input).map(drop),
                    started.elapsed(),
                )
            }
        };
        // The victim's channel is gone: the proxy and the peer stop.
        let _ = peer.join().unwrap();
        (result, took)
    });
    proxy.join().unwrap();
    (result.expect_err("a trickling peer must be cut off"), took)
}

#[test]
fn a_peer_that_trickles_an_execution_is_cut_off_within_the_timeout() {
    // The peer's setup passes at full speed; what it sends for the
    // execution (about 2 KiB of OTs from an evaluator, 60 bytes of labels,
    // tables and decoding bits from a garbler) comes a byte per 120 ms.
    for role in [Role::Garbler, Role::Evaluator] {
        let (err, took) = execute_against_trickler(role);
        eprintln!("{role:?} cut off a trickling peer's execution after {took:?}: {err}");
        assert!(
            matches!(
                channel_error(&err),
                Some(ChannelError::Deadline { what, .. }) if what.contains("waiting for")
            ),
            "{role:?}: {err:?}"
        );
        assert!(report(&err).contains("the deadline passed"), "{err}");
        assert!(
            took < 3 * TRICKLE_TIMEOUT,
            "{role:?} waited {took:?} for a trickling peer"
        );
    }
}

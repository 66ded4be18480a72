//! Running one party over TCP: listening or connecting (with retries), the
//! session, and the report printed at the end. Shared by the `garbler` and
//! `evaluator` binaries and by `yao run`.

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::json;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use yao_compiler::{Circuit, Party};
use yao_runtime::protocol::malicious;
use yao_runtime::protocol::{EvaluatorSetup, ExecutionStats, GarblerSetup, Progress, Security};
use yao_runtime::TcpChannel;

use crate::outputs::{self, OutputArgs};
use crate::session::{start_evaluator, start_garbler};
use crate::{inputs, Inputs};

/// Options both party binaries share.
#[derive(Args, Debug, Clone)]
pub struct NetArgs {
    /// How long to wait for the peer, in seconds. It bounds connecting (the
    /// garbler: waiting for an evaluator to connect, unless --accept-timeout
    /// is given); the handshake and base OTs, as a whole; and each later
    /// wait for the peer's answer and each write, plus 1 s per 16 KiB they
    /// carry. A peer that sends or reads nothing for this long is given up
    /// on, and so is one that trickles bytes too slowly to finish in time.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Run the circuit this many times in one session on the same inputs
    /// (for throughput measurements; the outputs printed are the last run's).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), hide = true)]
    pub repeat: u64,
    /// How AND gates are garbled: `half-gates` (32 bytes per AND, the
    /// fastest to compute) or `three-halves` (24.6 bytes per AND, about half
    /// the garbling speed: for slow networks). Both parties must choose the
    /// same.
    #[arg(long, default_value = "half-gates")]
    pub scheme: yao_core::Scheme,
    /// How the evaluator's input labels are extended from the base OTs:
    /// `softspoken-k4` (4 bytes per input bit), `softspoken-k2` (8 bytes,
    /// less CPU), `softspoken-k8` (2 bytes, for slow links), `softspoken-k1`
    /// or `iknp` (16 bytes). Both parties must choose the same.
    #[arg(long, default_value = "softspoken-k4")]
    pub ot: yao_runtime::ot::Extension,
    /// Which peer the run is secure against: `semi-honest` (a peer that
    /// follows the protocol; Yao with --scheme and --ot) or `malicious` (a
    /// peer that deviates arbitrarily: authenticated garbling, WRK17, on
    /// malicious preprocessing; whole circuits only, no --stream or
    /// --shares; --scheme and --ot do not apply). Both parties must choose the same. With --json, a
    /// malicious run reports its base OTs and preprocessing as `ms.ot` and
    /// its online phase as `ms.tables`.
    #[arg(long, default_value = "semi-honest")]
    pub security: yao_runtime::protocol::Security,
    /// Log what the protocol does on standard error (`-vv` for more).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl NetArgs {
    /// The protocol settings both parties must share.
    pub fn settings(&self) -> yao_runtime::protocol::Settings {
        yao_runtime::protocol::Settings {
            scheme: self.scheme,
            ot: self.ot,
            security: self.security,
        }
    }

    /// Starts `tracing` logs on standard error at the chosen verbosity.
    pub fn init_logs(&self) {
        let level = match self.verbose {
            0 => return,
            1 => tracing::Level::DEBUG,
            _ => tracing::Level::TRACE,
        };
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .try_init();
    }

    pub fn timeout(&self) -> Result<Duration> {
        Duration::try_from_secs_f64(self.timeout)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                anyhow!(
                    "--timeout must be a positive number of seconds, not {}",
                    self.timeout
                )
            })
    }
}

/// Tunes glibc's allocator for a party process; call first thing in `main`.
///
/// By default glibc hands every block of 128 KiB or more back to the
/// kernel as soon as it is freed, and gives each new thread an arena of its
/// own. A party frees the circuit's text and the importer's tables, then
/// builds the schedule on another thread: none of that memory is reused, and
/// every page is faulted in afresh (about 2 us each on a virtual machine).
/// One arena, blocks of up to 32 MiB from the heap, and up to 64 MiB of free
/// heap kept make a one-shot AES-128 fault in 30% fewer pages and spend 5 to
/// 10% less CPU time in both processes together.
///
/// Then the first [`WARM_HEAP`] bytes of heap are faulted in with one
/// `madvise(MADV_POPULATE_WRITE)` call and freed into the heap they stay in:
/// the allocations that follow find their pages mapped. Page faults taken
/// one by one (about 3 us each on this VM, trap and all) were still 15% of a
/// one-shot AES-128 run's CPU time; populating costs a fraction of that, and
/// cuts each party's faults from about 1,080 to 150 and both parties' CPU
/// time by about 2 ms (6%). Other platforms keep their allocator's defaults.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets allocation parameters (under the arena's
    // lock); a value it rejects leaves the default in place. `madvise` is
    // given whole pages inside a live block of our own and only maps them
    // (the contents do not change); a kernel without `MADV_POPULATE_WRITE`
    // (before Linux 5.14) refuses it and nothing happens. The block is freed
    // once, after.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
        let block = libc::malloc(WARM_HEAP);
        if !block.is_null() {
            let page = 4096;
            let start = (block as usize).next_multiple_of(page);
            let end = (block as usize + WARM_HEAP) / page * page;
            libc::madvise(
                start as *mut libc::c_void,
                end - start,
                libc::MADV_POPULATE_WRITE,
            );
            libc::free(block);
        }
    }
}

/// Heap [`tune_allocator`] faults in up front: about what a party running
/// AES-128 from its Bristol file touches in all.
pub const WARM_HEAP: usize = 4 << 20;

/// A party's own input values: on the command line or in a JSON file.
#[derive(Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// A JSON object mapping input names to values, e.g. `{"alice": 42}`.
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
}

/// Reads `--input-file` into `NAME=VALUE` strings, appended to `values`.
pub fn with_input_file(mut values: Vec<String>, args: &InputArgs) -> Result<Vec<String>> {
    let Some(path) = &args.input_file else {
        return Ok(values);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let from_file =
        inputs::values_from_json(&text).with_context(|| format!("in `{}`", path.display()))?;
    values.extend(from_file);
    Ok(values)
}

/// The bits of `party`'s groups, in circuit order, from user values.
pub fn party_inputs(
    circuit: &crate::Circuit,
    party: Party,
    values: &[String],
) -> Result<Vec<Vec<bool>>> {
    Ok(inputs::from_typed(circuit, party, values)?.bits()?)
}

/// Binds `addr`. The garbler binds before it loads its circuit, so an
/// evaluator that connects early waits in the kernel's backlog instead of
/// retrying; the address is announced by [`announce`] once the inputs are
/// known to be good.
pub fn listen(addr: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| format!("cannot listen on `{addr}`"))
}

/// Prints the bound address on stderr, so that a caller that asked for port
/// 0 can find it.
pub fn announce(listener: &TcpListener) -> Result<()> {
    crate::note(&format!("garbler: listening on {}", listener.local_addr()?));
    Ok(())
}

/// Waits for an evaluator to connect to `listener`, for at most `timeout`
/// (`None`: for ever).
pub fn accept(
    listener: &TcpListener,
    timeout: Option<Duration>,
) -> Result<(TcpStream, SocketAddr)> {
    let addr = listener.local_addr()?;
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let left = match deadline {
            None => None,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => bail!(
                    "no evaluator connected to {addr} within {:?}",
                    timeout.unwrap_or_default()
                ),
            },
        };
        match accept_within(listener, left) {
            Ok((stream, peer)) => {
                // It may have inherited the listener's timeout.
                stream.set_read_timeout(None)?;
                return Ok((stream, peer));
            }
            Err(e) if is_retry(&e) => {}
            Err(e) => {
                return Err(e).with_context(|| format!("cannot accept a connection on {addr}"))
            }
        }
    }
}

/// The errors of an `accept` that ran out of time or was interrupted.
fn is_retry(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
    matches!(e.kind(), WouldBlock | TimedOut | Interrupted)
}

/// One `accept` that waits at most `left`. Linux applies a listening
/// socket's receive timeout to `accept`, so the call wakes up the moment
/// an evaluator connects.
#[cfg(target_os = "linux")]
fn accept_within(
    listener: &TcpListener,
    left: Option<Duration>,
) -> std::io::Result<(TcpStream, SocketAddr)> {
    let left = left.map(|d| d.max(Duration::from_millis(1)));
    socket2::SockRef::from(listener).set_read_timeout(left)?;
    listener.accept()
}

/// One `accept` that waits at most `left`: other systems ignore a
/// listening socket's receive timeout, so the listener is polled every
/// few milliseconds.
#[cfg(not(target_os = "linux"))]
fn accept_within(
    listener: &TcpListener,
    left: Option<Duration>,
) -> std::io::Result<(TcpStream, SocketAddr)> {
    listener.set_nonblocking(left.is_some())?;
    let accepted = listener.accept();
    if let (Some(left), Err(e)) = (left, &accepted) {
        if e.kind() == std::io::ErrorKind::WouldBlock {
            std::thread::sleep(left.min(Duration::from_millis(5)));
        }
    }
    let (stream, peer) = accepted?;
    stream.set_nonblocking(false)?;
    Ok((stream, peer))
}

/// Connects to `addr`, retrying with exponential back-off (2 ms doubling to
/// 500 ms) until `timeout`: the garbler may not be listening yet, and one
/// that is about to costs the first retries little waiting.
pub fn connect(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let targets: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .with_context(|| format!("`{addr}` is not a host:port address"))?
        .collect();
    let deadline = Instant::now() + timeout;
    let mut wait = Duration::from_millis(2);
    loop {
        let mut last = None;
        for t in &targets {
            match TcpStream::connect_timeout(t, timeout) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        if Instant::now() + wait > deadline {
            let e = last
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no address".into());
            bail!("cannot connect to the garbler at `{addr}` within {timeout:?}: {e}");
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_millis(500));
    }
}

/// Runs the garbler's side of one session on an accepted connection:
/// `repeat` executions on the same inputs (more than one only to measure
/// throughput), with a progress bar if `progress` and the circuit is
/// large. Returns the last outputs and the summed costs. With share files
/// ([`Inputs::set_shares`]), the servers first check that their shares
/// belong together ([`crate::split_check`]).
pub fn garble_session(
    stream: TcpStream,
    setup: GarblerSetup,
    inputs: &Inputs,
    timeout: Duration,
    repeat: u64,
    progress: bool,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    if setup.settings().security == Security::Malicious {
        let circuit = setup.whole();
        return malicious_session(stream, circuit, setup.settings(), inputs, timeout, repeat)
            .context("garbler");
    }
    let circuit = setup.circuit();
    let bits = inputs.bits()?;
    let ch = TcpChannel::new(stream, Some(timeout))?;
    let mut session = start_garbler(ch, setup, inputs.splits()).context("garbler")?;
    if let Some(f) = progress
        .then(|| circuit.and_then(|c| progress_bar(c, "garbling")))
        .flatten()
    {
        session.set_progress(f);
    }
    let result = repeated(repeat, &bits, |stream, last| {
        session.execute_pipelined(stream, last)
    })
    .context("garbler")?;
    session.finish().context("garbler")?;
    Ok(result)
}

/// Runs the evaluator's side of one session on a connected stream; see
/// [`garble_session`].
pub fn evaluate_session(
    stream: TcpStream,
    setup: EvaluatorSetup,
    inputs: &Inputs,
    timeout: Duration,
    repeat: u64,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    if setup.settings().security == Security::Malicious {
        let circuit = setup.whole();
        return malicious_session(stream, circuit, setup.settings(), inputs, timeout, repeat)
            .context("evaluator");
    }
    let circuit = setup.circuit();
    let bits = inputs.bits()?;
    let ch = TcpChannel::new(stream, Some(timeout))?;
    let mut session = start_evaluator(ch, setup, inputs.splits()).context("evaluator")?;
    if let Some(f) = circuit.and_then(|c| progress_bar(c, "evaluating")) {
        session.set_progress(f);
    }
    let result = repeated(repeat, &bits, |stream, last| {
        session.execute_pipelined(stream, last)
    })
    .context("evaluator")?;
    session.finish().context("evaluator")?;
    Ok(result)
}

/// One session of `repeat` executions at the malicious level
/// ([`yao_runtime::protocol::malicious`]; the preprocessing of all of them
/// shared), its costs in the semi-honest report's terms: base OTs and
/// preprocessing as `ot`, the online phases as `tables`. Returns the last
/// execution's outputs.
fn malicious_session(
    stream: TcpStream,
    circuit: Option<yao_compiler::ir::Identified>,
    settings: yao_runtime::protocol::Settings,
    inputs: &Inputs,
    timeout: Duration,
    repeat: u64,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    let Some(circuit) = circuit else {
        bail!("--security malicious runs whole circuits only, not with --stream");
    };
    if inputs.splits().is_some() {
        bail!("--security malicious does not take share files (--shares)");
    }
    let defaults = yao_runtime::protocol::Settings::default();
    if settings.scheme != defaults.scheme || settings.ot != defaults.ot {
        bail!("--scheme and --ot choose the semi-honest protocol's parts; leave them out with --security malicious");
    }
    let bits = inputs.bits()?;
    let mut ch = TcpChannel::new(stream, Some(timeout))?;
    let mut last = Vec::new();
    let each = |e: malicious::Execution| last = e.outputs;
    let s = match inputs.party() {
        Party::Garbler => malicious::garble_repeated(&mut ch, circuit, &bits, repeat, each)?,
        Party::Evaluator => malicious::evaluate_repeated(&mut ch, circuit, &bits, repeat, each)?,
    };
    let stats = ExecutionStats {
        and_gates: s.ands,
        traffic: yao_runtime::Channel::traffic(&ch),
        ot: s.setup + s.preprocessing,
        tables: s.online,
        ..ExecutionStats::default()
    };
    Ok((last, stats))
}

/// Circuits smaller than this finish too fast for a progress bar to help.
const PROGRESS_MIN_ANDS: u64 = 5_000_000;

/// A progress bar on standard error, only when it is a terminal and the
/// circuit is large enough to take a moment.
fn progress_bar(circuit: &Circuit, verb: &'static str) -> Option<Progress> {
    let ands = circuit
        .gates
        .iter()
        .filter(|g| matches!(g, yao_compiler::Gate::And { .. }))
        .count() as u64;
    if ands < PROGRESS_MIN_ANDS || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(ands);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {percent}% {per_sec} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(verb);
    Some(Box::new(move |done| {
        bar.set_position(done % (ands + 1));
        if done >= ands {
            bar.finish_and_clear();
        }
    }))
}

/// Runs `repeat` executions on the same inputs as one pipelined stream;
/// returns the last outputs and the summed costs.
pub(crate) fn repeated<'a, E>(
    repeat: u64,
    inputs: &'a [Vec<bool>],
    stream: impl FnOnce(
        std::iter::RepeatN<&'a [Vec<bool>]>,
        &mut dyn FnMut(Vec<Vec<bool>>),
    ) -> Result<ExecutionStats, E>,
) -> Result<(Vec<Vec<bool>>, ExecutionStats), E> {
    let mut last = Vec::new();
    let count = usize::try_from(repeat).unwrap_or(usize::MAX);
    let stats = stream(std::iter::repeat_n(inputs, count), &mut |o| last = o)?;
    Ok((last, stats))
}

/// Prints the outputs; with `--json`, one object with the outputs, the
/// cost of the execution and the session's settings (garbling scheme and
/// OT extension).
pub fn report(
    circuit: &Circuit,
    outputs_bits: &[Vec<bool>],
    stats: &ExecutionStats,
    settings: yao_runtime::protocol::Settings,
    args: OutputArgs,
) {
    crate::say(&render_report(circuit, outputs_bits, stats, settings, args));
}

/// What [`report`] prints, as one string: sessions that end at the same
/// time print theirs whole, one after the other.
pub fn render_report(
    circuit: &Circuit,
    outputs_bits: &[Vec<bool>],
    stats: &ExecutionStats,
    settings: yao_runtime::protocol::Settings,
    args: OutputArgs,
) -> String {
    if !args.json {
        return outputs::render(circuit, outputs_bits, args);
    }
    let values = outputs::decode(circuit, outputs_bits);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    // At the malicious level the semi-honest scheme and OT settings do not
    // apply: name what ran instead (at that level `ms.ot` is the setup and
    // preprocessing, `ms.tables` the online phase).
    let (scheme, ot) = match settings.security {
        Security::SemiHonest => (settings.scheme.name().to_string(), settings.ot.to_string()),
        Security::Malicious => (
            "authenticated-garbling".to_string(),
            match yao_runtime::preprocess::DEFAULT_OT_K {
                1 => "kos15-iknp".to_string(),
                k => format!("kos15-softspoken-k{k}"),
            },
        ),
    };
    let report = json!({
        "outputs": outputs::to_json(&values, args.hex),
        "security": settings.security.name(),
        "scheme": scheme,
        "ot": ot,
        "and_gates": stats.and_gates,
        "bytes_sent": stats.traffic.sent,
        "bytes_received": stats.traffic.received,
        "ms": {
            "ot": ms(stats.ot),
            "inputs": ms(stats.inputs),
            "tables": ms(stats.tables),
            "outputs": ms(stats.outputs),
            "total": ms(stats.total()),
        },
    });
    format!("{report}\n")
}

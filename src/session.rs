//! Running one party: [`run`] for one execution, a [`Session`] for several
//! (one handshake and one base-OT setup, then cheap executions), over a TCP
//! stream or any other byte stream to the other party.

use crate::error::InputError;
use crate::split_check::{self, Splits};
use crate::{Circuit, Error, Inputs, Outputs};
use std::any::Any;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use yao_compiler::Party;
use yao_runtime::channel::{Channel, ChannelError, Deadline, Traffic};
use yao_runtime::protocol::malicious;
use yao_runtime::protocol::{
    EvaluatorSession, EvaluatorSetup, GarblerKeys, GarblerSession, GarblerSetup, ProtocolError,
    Settings,
};
use yao_runtime::TcpChannel;

/// How long a party waits for its peer over TCP unless told otherwise, as
/// the command line's `--timeout` (see [`yao_runtime::channel`] for what it
/// bounds): a peer that goes silent fails the session instead of hanging it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one execution as the party whose `inputs` these are, over `stream`
/// to the other party, and returns the outputs both learn. The other party
/// runs `run` too (or a [`Session`]) on the same circuit; the handshake
/// refuses a different one.
///
/// `stream` is typically a [`TcpStream`] (it then waits at most
/// [`DEFAULT_TIMEOUT`] for the peer, with Nagle's algorithm off), or any
/// `Read + Write` (see [`StreamChannel`]). Inputs from share files are
/// first checked against the other server's ([`crate::split_check`]).
///
/// ```
/// use std::net::{TcpListener, TcpStream};
/// use yao::{Circuit, Party};
///
/// let circuit = Circuit::compile(
///     "circuit eq(garbler a: u32, evaluator b: u32) -> bool { a == b }",
/// )?;
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// std::thread::scope(|s| {
///     let garbler = s.spawn(|| -> Result<bool, yao::Error> {
///         let mut inputs = circuit.inputs(Party::Garbler);
///         inputs.set("a", *b"YAO!")?; // bytes for an integer: big-endian
///         let (stream, _) = listener.accept()?;
///         yao::run(stream, &inputs)?.get("out")
///     });
///     let mut inputs = circuit.inputs(Party::Evaluator);
///     inputs.set("b", u32::from_be_bytes(*b"YAO!"))?;
///     let stream = TcpStream::connect(addr)?;
///     let equal: bool = yao::run(stream, &inputs)?.get("out")?;
///     assert!(equal && garbler.join().unwrap()?);
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run<S: Read + Write + Send + 'static>(stream: S, inputs: &Inputs) -> Result<Outputs, Error> {
    // A missing input fails here, before the peer is kept waiting.
    inputs.bits()?;
    let circuit = inputs.circuit();
    let ch = link(stream, Some(DEFAULT_TIMEOUT))?;
    let mut session = Session::begin(
        ch,
        circuit,
        inputs.party(),
        inputs.splits(),
        Settings::default(),
    )?;
    let outputs = session.execute(inputs)?;
    session.finish()?;
    Ok(outputs)
}

/// [`run`] at the malicious security level: authenticated garbling (WRK17)
/// on malicious preprocessing, secure against a peer that deviates from the
/// protocol (SECURITY.md, "Authenticated garbling"). One execution;
/// both parties must call it, and both learn the outputs once every check
/// has passed. Share files (`yao share`) are not supported.
pub fn run_malicious<S: Read + Write + Send + 'static>(
    stream: S,
    inputs: &Inputs,
) -> Result<Outputs, Error> {
    let mut all = run_malicious_repeated(stream, inputs, 1)?;
    Ok(all.pop().expect("one execution"))
}

/// [`run_malicious`] `repeat` times on the same inputs in one session: one
/// handshake and one pair of global keys, the preprocessing of all
/// executions in a few large rounds (so a smaller bucket size than one
/// execution alone), then each execution's online phase with its own wire
/// masks and triples. Both parties must ask for the same `repeat` (a
/// mismatch is refused before the preprocessing); each execution's
/// outputs, in order, once every check of the session has passed.
pub fn run_malicious_repeated<S: Read + Write + Send + 'static>(
    stream: S,
    inputs: &Inputs,
    repeat: u64,
) -> Result<Vec<Outputs>, Error> {
    let bits = inputs.bits()?;
    if inputs.splits().is_some() {
        return Err(Error::MaliciousUnsupported("does not take share files"));
    }
    let circuit = inputs.circuit();
    let mut ch = link(stream, Some(DEFAULT_TIMEOUT))?;
    let mut all = Vec::new();
    let each = |e: malicious::Execution| all.push(Outputs::new(circuit.clone(), e.outputs));
    match inputs.party() {
        Party::Garbler => {
            malicious::garble_repeated(&mut ch, circuit.identified(), &bits, repeat, each)?
        }
        Party::Evaluator => {
            malicious::evaluate_repeated(&mut ch, circuit.identified(), &bits, repeat, each)?
        }
    };
    Ok(all)
}

/// One party's side of a session: the handshake and base OTs once, then any
/// number of executions of the circuit on fresh inputs, each costing only
/// its garbled tables and its inputs' OT extension. The other party must
/// run as many executions, in the same order.
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::net::UnixStream;
/// use yao::{Circuit, Party, Session};
///
/// let circuit = Circuit::compile("circuit add(garbler a: u16, evaluator b: u16) -> u16 { a + b }")?;
/// let (g_end, e_end) = UnixStream::pair()?;
/// let inputs = |party, name, v: u16| -> Result<yao::Inputs, yao::Error> {
///     let mut inputs = circuit.inputs(party);
///     inputs.set(name, v)?;
///     Ok(inputs)
/// };
/// std::thread::scope(|s| -> Result<(), yao::Error> {
///     s.spawn(|| -> Result<(), yao::Error> {
///         let mut session = Session::start(g_end, &circuit, Party::Garbler)?;
///         session.execute(&inputs(Party::Garbler, "a", 1)?)?;
///         session.execute_all(&[inputs(Party::Garbler, "a", 2)?, inputs(Party::Garbler, "a", 3)?])?;
///         session.finish()
///     });
///     let mut session = Session::start(e_end, &circuit, Party::Evaluator)?;
///     let b = [10, 20, 30].map(|b| inputs(Party::Evaluator, "b", b));
///     let b = b.into_iter().collect::<Result<Vec<_>, _>>()?;
///     let sums = session.execute_all(&b)?;
///     let sums: Vec<u16> = sums.iter().map(|o| o.get("out")).collect::<Result<_, _>>()?;
///     assert_eq!(sums, [11, 22, 33]);
///     session.finish()
/// })?;
/// # }
/// # Ok::<(), yao::Error>(())
/// ```
pub struct Session<'c> {
    circuit: &'c Circuit,
    role: Role<'c>,
    /// The share files checked with the other server before the session.
    checked: Option<[u8; 32]>,
}

enum Role<'c> {
    Garbler(GarblerSession<'c, Link>),
    Evaluator(EvaluatorSession<'c, Link>),
}

impl<'c> Session<'c> {
    /// Starts `party`'s side of a session on `stream` (see [`run`] for the
    /// streams it takes), waiting at most [`DEFAULT_TIMEOUT`] for a TCP peer.
    pub fn start<S: Read + Write + Send + 'static>(
        stream: S,
        circuit: &'c Circuit,
        party: Party,
    ) -> Result<Session<'c>, Error> {
        Self::start_with_timeout(stream, circuit, party, Some(DEFAULT_TIMEOUT))
    }

    /// [`Session::start`] with the time to wait for a TCP peer (`None`:
    /// for ever). Other streams wait as long as they do.
    pub fn start_with_timeout<S: Read + Write + Send + 'static>(
        stream: S,
        circuit: &'c Circuit,
        party: Party,
        timeout: Option<Duration>,
    ) -> Result<Session<'c>, Error> {
        Self::begin(
            link(stream, timeout)?,
            circuit,
            party,
            None,
            Settings::default(),
        )
    }

    /// [`Session::start_with_timeout`] with protocol settings both parties
    /// must share: the garbling scheme (`yao::Scheme::ThreeHalves` sends 25
    /// bytes per AND instead of 32 and garbles at about half the speed) and
    /// the OT extension ([`Settings::ot`]).
    pub fn start_with_settings<S: Read + Write + Send + 'static>(
        stream: S,
        circuit: &'c Circuit,
        party: Party,
        timeout: Option<Duration>,
        settings: Settings,
    ) -> Result<Session<'c>, Error> {
        Self::begin(link(stream, timeout)?, circuit, party, None, settings)
    }

    /// [`Session::start`] on a [`Channel`] of your own: the runtime's
    /// [`MemChannel`](yao_runtime::MemChannel) for both parties in one
    /// process, or a [`TcpChannel`] made with options of your own.
    pub fn start_on(
        channel: impl Channel + Send + 'static,
        circuit: &'c Circuit,
        party: Party,
    ) -> Result<Session<'c>, Error> {
        Self::begin(
            Link(Box::new(channel)),
            circuit,
            party,
            None,
            Settings::default(),
        )
    }

    fn begin(
        ch: Link,
        circuit: &'c Circuit,
        party: Party,
        splits: Option<&Splits>,
        settings: Settings,
    ) -> Result<Session<'c>, Error> {
        let role = match party {
            Party::Garbler => {
                let setup = GarblerSetup::identified(circuit.identified(), GarblerKeys::new())?
                    .with_settings(settings);
                Role::Garbler(start_garbler(ch, setup, splits)?)
            }
            Party::Evaluator => {
                let setup = EvaluatorSetup::deferred_identified(circuit.identified())
                    .with_settings(settings);
                Role::Evaluator(start_evaluator(ch, setup, splits)?)
            }
        };
        Ok(Session {
            circuit,
            role,
            checked: splits.map(Splits::digest),
        })
    }

    fn party(&self) -> Party {
        match self.role {
            Role::Garbler(_) => Party::Garbler,
            Role::Evaluator(_) => Party::Evaluator,
        }
    }

    /// One execution on `inputs` (this party's, for this session's circuit).
    pub fn execute(&mut self, inputs: &Inputs) -> Result<Outputs, Error> {
        let mut all = self.execute_all(std::slice::from_ref(inputs))?;
        Ok(all.remove(0))
    }

    /// One execution per item of `inputs`, pipelined: the garbler garbles
    /// the next execution while the evaluator evaluates this one, so no
    /// execution waits for a round trip. Returns the outputs in order.
    pub fn execute_all<'i>(
        &mut self,
        inputs: impl IntoIterator<Item = &'i Inputs>,
    ) -> Result<Vec<Outputs>, Error> {
        let bits = inputs
            .into_iter()
            .map(|i| {
                i.check_for(self.circuit, self.party())?;
                if i.splits().is_some_and(|s| Some(s.digest()) != self.checked) {
                    return Err(InputError::SharesNeedRun.into());
                }
                i.bits()
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut outputs = Vec::with_capacity(bits.len());
        let each = |o| outputs.push(Outputs::new(self.circuit.clone(), o));
        match &mut self.role {
            Role::Garbler(s) => s.execute_pipelined(&bits, each)?,
            Role::Evaluator(s) => s.execute_pipelined(&bits, each)?,
        };
        Ok(outputs)
    }

    /// Ends the session: the garbler tells the evaluator that no execution
    /// follows, and the evaluator checks that it did.
    pub fn finish(self) -> Result<(), Error> {
        match self.role {
            Role::Garbler(s) => s.finish()?,
            Role::Evaluator(s) => s.finish()?,
        }
        Ok(())
    }
}

/// The garbler's session on `ch`, after the servers' check of their share
/// files if there are any. The command line starts its sessions here too.
pub(crate) fn start_garbler<'c, C: Channel>(
    mut ch: C,
    setup: GarblerSetup<'c>,
    splits: Option<&Splits>,
) -> Result<GarblerSession<'c, C>, Error> {
    if let Some(splits) = splits {
        split_check::check(&mut ch, splits)?;
    }
    GarblerSession::start_prepared(ch, setup).map_err(|e| explain_start(e, Party::Garbler))
}

/// The evaluator's side of [`start_garbler`].
pub(crate) fn start_evaluator<'c, C: Channel>(
    mut ch: C,
    setup: EvaluatorSetup<'c>,
    splits: Option<&Splits>,
) -> Result<EvaluatorSession<'c, C>, Error> {
    if let Some(splits) = splits {
        split_check::check(&mut ch, splits)?;
    }
    EvaluatorSession::start_prepared(ch, setup).map_err(|e| explain_start(e, Party::Evaluator))
}

/// A session that failed to start, with the one case this layer can say
/// more about: the peer opened with the share-file check ([`split_check`])
/// and this party has no share files to check.
fn explain_start(e: ProtocolError, us: Party) -> Error {
    match &e {
        ProtocolError::NotYao { found } if found[..] == split_check::MAGIC => {
            let peer = match us {
                Party::Garbler => Party::Evaluator,
                Party::Evaluator => Party::Garbler,
            };
            Error::SharesOnOneSide { peer, us }
        }
        _ => e.into(),
    }
}

/// The channel for `stream`: a [`TcpStream`] gets the runtime's
/// [`TcpChannel`] (Nagle's algorithm off, the timeout rules of
/// [`yao_runtime::channel`], large buffers on loopback), anything else a
/// [`StreamChannel`].
fn link<S: Read + Write + Send + 'static>(
    stream: S,
    timeout: Option<Duration>,
) -> Result<Link, Error> {
    let mut slot = Some(stream);
    let tcp = (&mut slot as &mut dyn Any).downcast_mut::<Option<TcpStream>>();
    if let Some(tcp) = tcp.and_then(Option::take) {
        let ch = TcpChannel::new(tcp, timeout)?;
        return Ok(Link(Box::new(ch)));
    }
    let Some(stream) = slot else {
        unreachable!("only a TcpStream is taken out")
    };
    Ok(Link(Box::new(StreamChannel::new(stream))))
}

/// Any channel, so that a session's type does not depend on its stream's.
struct Link(Box<dyn Channel + Send>);

impl Channel for Link {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.0.write_all(data)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.0.read_exact(buf)
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.0.flush()
    }

    fn traffic(&self) -> Traffic {
        self.0.traffic()
    }

    fn timeout(&self) -> Option<Duration> {
        self.0.timeout()
    }

    fn deadline(&self) -> Option<Deadline> {
        self.0.deadline()
    }

    fn set_deadline(&mut self, deadline: Option<Deadline>) {
        self.0.set_deadline(deadline)
    }
}

/// Bytes gathered before a write, and read ahead at once.
const BUFFER: usize = 1 << 16;

/// A [`Channel`] over any byte stream (`Read + Write`): a Unix socket, a
/// pair of pipes, a TLS stream. Writes are gathered into 64 KiB and sent
/// before every wait for the peer, as the protocol requires; reads are
/// buffered; every length read off the wire is bounded by the [`Channel`]
/// methods before anything is allocated, as on TCP.
///
/// It cannot interrupt a read that blocks: it waits as long as the stream
/// does. Give the stream timeouts of its own
/// (`UnixStream::set_read_timeout`) if the peer may fall silent; a
/// [`TcpStream`] given to [`run`] or [`Session::start`] gets the runtime's
/// [`TcpChannel`] instead, which keeps to [`DEFAULT_TIMEOUT`].
pub struct StreamChannel<S: Read + Write> {
    stream: S,
    inbox: Box<[u8]>,
    /// The unread bytes of `inbox`.
    start: usize,
    end: usize,
    outbox: Vec<u8>,
    traffic: Traffic,
}

impl<S: Read + Write> StreamChannel<S> {
    pub fn new(stream: S) -> StreamChannel<S> {
        StreamChannel {
            stream,
            inbox: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            outbox: Vec::with_capacity(BUFFER),
            traffic: Traffic::default(),
        }
    }

    /// Sends what is gathered.
    fn send(&mut self) -> Result<(), ChannelError> {
        if !self.outbox.is_empty() {
            self.stream.write_all(&self.outbox).map_err(map)?;
            self.outbox.clear();
        }
        self.stream.flush().map_err(map)
    }

    /// One read from the stream into `buf`; the end of the stream is the
    /// peer closing it.
    fn read_some(stream: &mut S, buf: &mut [u8]) -> Result<usize, ChannelError> {
        loop {
            match stream.read(buf) {
                Ok(0) => return Err(ChannelError::Closed),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(map(e)),
            }
        }
    }
}

/// The peer going away, as [`ChannelError::Closed`]; anything else as it is.
fn map(e: io::Error) -> ChannelError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => ChannelError::Closed,
        _ => ChannelError::Io(e),
    }
}

impl<S: Read + Write> Channel for StreamChannel<S> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        if self.outbox.len() + data.len() > BUFFER {
            self.send()?;
        }
        if data.len() >= BUFFER {
            self.stream.write_all(data).map_err(map)?;
        } else {
            self.outbox.extend_from_slice(data);
        }
        self.traffic.sent += data.len() as u64;
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let mut filled = (self.end - self.start).min(buf.len());
        buf[..filled].copy_from_slice(&self.inbox[self.start..self.start + filled]);
        self.start += filled;
        if filled < buf.len() {
            // About to wait for the peer: it may be waiting for us.
            self.send()?;
        }
        while filled < buf.len() {
            let rest = &mut buf[filled..];
            if rest.len() >= BUFFER {
                filled += Self::read_some(&mut self.stream, rest)?;
            } else {
                let n = Self::read_some(&mut self.stream, &mut self.inbox)?;
                let take = n.min(rest.len());
                rest[..take].copy_from_slice(&self.inbox[..take]);
                (self.start, self.end) = (take, n);
                filled += take;
            }
        }
        self.traffic.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.send()
    }

    fn traffic(&self) -> Traffic {
        self.traffic
    }
}

impl<S: Read + Write> Drop for StreamChannel<S> {
    fn drop(&mut self) {
        // Deliver what was written before the channel went away.
        let _ = self.send();
    }
}

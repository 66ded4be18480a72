//! `Channel`: the only way bytes move between the two parties.
//!
//! The cryptographic cores never touch a channel; the protocol layer does.
//! Two implementations: [`TcpChannel`] (buffered, `TCP_NODELAY`) and
//! [`MemChannel`] (an in-process pair over crossbeam, for tests and
//! benchmarks). Every length read off the wire is checked against a
//! caller-given bound before anything is allocated.
//!
//! # How long a channel waits for its peer
//!
//! A channel made with a timeout `T` (`None`: it waits forever) gives up on
//! a peer that says nothing *and* on one that trickles bytes, by three rules:
//!
//! 1. **Idle.** A read or a write that sees no byte move for `T` fails:
//!    [`ChannelError::Timeout`] (the peer sent nothing) or
//!    [`ChannelError::WriteTimeout`] (the peer took nothing).
//! 2. **Per wait.** A *wait* for the peer begins with this party's first read
//!    after it last wrote and lasts until it writes again: one turn of the
//!    protocol. The time its reads spend blocked on the peer, all together,
//!    must stay within `T` plus one second per [`MIN_RATE`] bytes they read.
//!    A write of `n` bytes must be done within `T + n / MIN_RATE`. Bytes
//!    that trickle in do not extend this deadline (they do restart the idle
//!    rule): [`ChannelError::Deadline`]. The allowance per byte lets a long
//!    legitimate transfer (garbled tables for minutes) run for as long as
//!    the peer keeps up `MIN_RATE`, which any real link does; a peer that
//!    sends less can hold a wait for at most `T` plus the time the wait's
//!    bytes take at `MIN_RATE`. This party's own computing between the
//!    reads of a wait (evaluating tables, planning the next window of a
//!    streamed circuit) does not count.
//! 3. **Per phase.** [`Channel::set_deadline`] bounds a whole phase by one
//!    absolute [`Deadline`]. Sessions bound their setup so (the handshake
//!    and base OTs: few, small, fixed-size messages) to `T` from its start,
//!    so that a trickling peer cannot stretch it to one `T` per round trip
//!    (see `protocol::deadline`).
//!
//! When a deadline passes while the peer has sent nothing for `T`, the
//! error is the idle one: it says more.

use std::io::{self, BufReader, IoSlice, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use yao_core::block::{blocks_as_bytes, blocks_as_bytes_mut, Block};

/// The slowest a peer may move bytes once a wait or a write has used up its
/// timeout (rule 2 of the module docs), in bytes per second: 16 KiB/s, a
/// 128 kbit/s link. A slower peer that still sends something is cut off,
/// like a silent one.
pub const MIN_RATE: u64 = 16 << 10;

/// What went wrong while talking to the peer.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("the peer closed the connection")]
    Closed,
    /// Rule 1 while reading: nothing arrived for this long.
    #[error("the peer sent nothing for {0:?} (timed out)")]
    Timeout(Duration),
    /// Rule 1 while writing: the peer read nothing for this long.
    #[error("the peer took none of this party's data for {0:?} (timed out: it stopped reading)")]
    WriteTimeout(Duration),
    /// Rule 2 or 3: the peer moved bytes, but too few by the deadline.
    #[error(
        "the deadline passed: the peer did not finish {what} within {:?} \
         (bytes trickling in do not extend it)",
        millis(*.limit)
    )]
    Deadline {
        /// What had to be done, e.g. "the handshake and base OTs".
        what: &'static str,
        /// The time it was given.
        limit: Duration,
    },
    #[error("the peer announced a {what} of {len} bytes, more than the {max} allowed")]
    TooLarge {
        what: &'static str,
        len: u64,
        max: u64,
    },
    #[error("network error")]
    Io(#[from] io::Error),
}

impl ChannelError {
    /// True when the peer went away or went (nearly) silent.
    pub fn is_disconnect(&self) -> bool {
        matches!(
            self,
            ChannelError::Closed
                | ChannelError::Timeout(_)
                | ChannelError::WriteTimeout(_)
                | ChannelError::Deadline { .. }
        )
    }
}

/// `d` to the millisecond, for messages (a limit with a per-byte allowance
/// has nanoseconds nobody wants to read).
fn millis(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// An absolute deadline for a phase of the protocol (rule 3 of the module
/// docs), with what the error says when it passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// When it passes.
    pub at: Instant,
    /// How long the phase was given.
    pub limit: Duration,
    /// What must be done by then, e.g. "the handshake and base OTs".
    pub what: &'static str,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration, what: &'static str) -> Deadline {
        Deadline {
            at: Instant::now() + limit,
            limit,
            what,
        }
    }

    /// The one of `a` and `b` that passes first.
    pub fn earliest(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// Bytes sent and received so far, for reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub sent: u64,
    pub received: u64,
}

/// A reliable, ordered byte stream to the peer. Writes may be buffered until
/// [`Channel::flush`]; a party must flush before it waits for an answer.
///
/// A channel that wraps another should forward [`Channel::timeout`],
/// [`Channel::deadline`] and [`Channel::set_deadline`]; the defaults are
/// those of a channel without timeouts.
pub trait Channel {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError>;
    /// Fills `buf` from the peer. An implementation that buffers writes
    /// flushes them before it waits for the peer (both of Yao's do), so
    /// nothing the peer waits for is held back; the protocol relies on it.
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError>;
    fn flush(&mut self) -> Result<(), ChannelError>;
    fn traffic(&self) -> Traffic;

    /// The timeout `T` of the module docs' rules; `None` waits forever.
    fn timeout(&self) -> Option<Duration> {
        None
    }

    /// The phase deadline in force, if any (rule 3).
    fn deadline(&self) -> Option<Deadline> {
        None
    }

    /// Sets (`None`: lifts) the phase deadline: every read and write fails
    /// with [`ChannelError::Deadline`] once it has passed (rule 3).
    fn set_deadline(&mut self, deadline: Option<Deadline>) {
        let _ = deadline;
    }

    fn send_u64(&mut self, v: u64) -> Result<(), ChannelError> {
        self.write_all(&v.to_le_bytes())
    }

    fn recv_u64(&mut self) -> Result<u64, ChannelError> {
        let mut b = [0u8; 8];
        self.read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Sends a length-prefixed byte string.
    fn send_frame(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.send_u64(data.len() as u64)?;
        self.write_all(data)
    }

    /// Receives a length-prefixed byte string of at most `max` bytes; a larger
    /// announced length is an error before any allocation. `what` names the
    /// message in that error.
    fn recv_frame(&mut self, what: &'static str, max: u64) -> Result<Vec<u8>, ChannelError> {
        let len = self.recv_u64()?;
        if len > max {
            return Err(ChannelError::TooLarge { what, len, max });
        }
        let mut buf = vec![0u8; len as usize];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn send_blocks(&mut self, blocks: &[Block]) -> Result<(), ChannelError> {
        self.write_all(blocks_as_bytes(blocks))
    }

    fn recv_blocks(&mut self, blocks: &mut [Block]) -> Result<(), ChannelError> {
        self.read_exact(blocks_as_bytes_mut(blocks))
    }
}

/// What a wait's deadline (rule 2) says when it passes.
const READ_WHAT: &str = "sending what this party was waiting for";
/// What a write's deadline (rule 2) says when it passes.
const WRITE_WHAT: &str = "reading what this party sent";

/// The limits of one channel: its timeout, the phase deadline, and the
/// current wait for the peer (the rules of the module docs).
#[derive(Debug)]
struct Patience {
    timeout: Option<Duration>,
    phase: Option<Deadline>,
    /// The current wait (this party has read since it last wrote).
    wait: Option<Wait>,
}

/// One wait for the peer (rule 2 of the module docs).
#[derive(Clone, Copy, Debug, Default)]
struct Wait {
    /// Bytes its reads asked for.
    bytes: u64,
    /// Time its reads spent blocked on the peer.
    blocked: Duration,
}

impl Patience {
    fn new(timeout: Option<Duration>) -> Patience {
        Patience {
            timeout,
            phase: None,
            wait: None,
        }
    }

    /// This party wrote: its next read begins a new wait.
    fn wrote(&mut self) {
        self.wait = None;
    }

    /// Counts a read of `n` bytes towards the current wait, beginning one
    /// if this is its first read.
    fn reading(&mut self, n: usize) {
        self.wait.get_or_insert_with(Wait::default).bytes += n as u64;
    }

    /// The limits of a read that may block from `now` on: the wait may
    /// block for what is left of its allowance.
    fn read_limit(&self, now: Instant) -> Limit {
        let wait = match (self.timeout, self.wait) {
            (Some(t), Some(wait)) => {
                let limit = allowance(t, wait.bytes);
                Some(Deadline {
                    at: now + limit.saturating_sub(wait.blocked),
                    limit,
                    what: READ_WHAT,
                })
            }
            _ => None,
        };
        Limit {
            idle: self.timeout,
            deadline: Deadline::earliest(wait, self.phase),
        }
    }

    /// Counts `time` spent blocked on the peer towards the current wait.
    fn blocked(&mut self, time: Duration) {
        if let Some(wait) = &mut self.wait {
            wait.blocked += time;
        }
    }

    /// The limits of a write of `n` bytes starting now.
    fn write_limit(&self, n: usize) -> Limit {
        let own = self
            .timeout
            .map(|t| Deadline::after(allowance(t, n as u64), WRITE_WHAT));
        Limit {
            idle: self.timeout,
            deadline: Deadline::earliest(own, self.phase),
        }
    }
}

/// `timeout` plus the time `bytes` take at [`MIN_RATE`].
fn allowance(timeout: Duration, bytes: u64) -> Duration {
    timeout.saturating_add(Duration::from_secs_f64(bytes as f64 / MIN_RATE as f64))
}

/// Whether bytes are coming in or going out, for the idle error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    In,
    Out,
}

/// The limits of one blocking read or write.
#[derive(Clone, Copy, Debug)]
struct Limit {
    /// Rule 1: the longest one blocking call may see no progress.
    idle: Option<Duration>,
    /// Rules 2 and 3, whichever passes first.
    deadline: Option<Deadline>,
}

impl Limit {
    /// How long a blocking call begun at `since` may still block (`None`:
    /// forever), or why it may not. `quiet_since` is when a byte last moved
    /// in `direction`: a peer silent for the whole idle timeout is reported
    /// as silent, whichever limit passed first.
    fn time_left(
        &self,
        since: Instant,
        quiet_since: Instant,
        direction: Direction,
    ) -> Result<Option<Duration>, ChannelError> {
        let idle_end = self.idle.map(|t| since + t);
        let end = match (idle_end, self.deadline) {
            (Some(i), Some(d)) => Some(i.min(d.at)),
            (i, d) => i.or(d.map(|d| d.at)),
        };
        let Some(end) = end else { return Ok(None) };
        let now = Instant::now();
        if now < end {
            return Ok(Some(end - now));
        }
        Err(match (self.idle, self.deadline) {
            (Some(t), Some(d)) if now - quiet_since < t && now >= d.at => ChannelError::Deadline {
                what: d.what,
                limit: d.limit,
            },
            (None, Some(d)) => ChannelError::Deadline {
                what: d.what,
                limit: d.limit,
            },
            (t, _) => idle_error(t.unwrap_or_default(), direction),
        })
    }
}

fn idle_error(t: Duration, direction: Direction) -> ChannelError {
    match direction {
        Direction::In => ChannelError::Timeout(t),
        Direction::Out => ChannelError::WriteTimeout(t),
    }
}

const BUFFER: usize = 1 << 16;

/// A TCP connection with buffered reads, coalesced writes and Nagle's
/// algorithm off (each party flushes whole messages, so delaying small
/// segments only adds latency). Reads and writes keep to the rules of the
/// module docs.
pub struct TcpChannel {
    reader: BufReader<Timed>,
    writer: Outbox,
    patience: Patience,
    traffic: Traffic,
}

/// Socket buffers asked for on loopback (the kernel caps them at
/// `net.core.{r,w}mem_max`).
const LOOPBACK_SOCKET_BUFFER: usize = 4 << 20;

impl TcpChannel {
    /// Wraps a connected stream. With `timeout`, reads and writes give up
    /// on the peer by the rules of the module docs.
    ///
    /// On loopback the socket buffers are made large: the kernel's
    /// auto-tuning sizes them by the round-trip time, which is tiny there,
    /// so a garbler could get only a fraction of one execution ahead of
    /// the evaluator and the two processes would run in lock-step. Across
    /// a real network auto-tuning knows the bandwidth-delay product better
    /// than any fixed size, so other connections keep it.
    pub fn new(stream: TcpStream, timeout: Option<Duration>) -> io::Result<TcpChannel> {
        stream.set_nodelay(true)?;
        if stream.peer_addr()?.ip().is_loopback() {
            let socket = socket2::SockRef::from(&stream);
            socket.set_recv_buffer_size(LOOPBACK_SOCKET_BUFFER)?;
            socket.set_send_buffer_size(LOOPBACK_SOCKET_BUFFER)?;
        }
        let reader =
            BufReader::with_capacity(BUFFER, Timed::new(stream.try_clone()?, Direction::In)?);
        Ok(TcpChannel {
            reader,
            writer: Outbox {
                socket: Timed::new(stream, Direction::Out)?,
                buf: Vec::with_capacity(BUFFER),
            },
            patience: Patience::new(timeout),
            traffic: Traffic::default(),
        })
    }

    fn map(e: io::Error) -> ChannelError {
        let e = match e.downcast::<Expired>() {
            Ok(expired) => return expired.0,
            Err(e) => e,
        };
        match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ChannelError::Closed,
            _ => ChannelError::Io(e),
        }
    }
}

/// A limit that passed, carried through `io::Error` out of the reader that
/// `BufReader` wraps.
#[derive(Debug)]
struct Expired(ChannelError);

impl std::fmt::Display for Expired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Expired {}

/// Socket timeouts shorter than this are rounded up to it (the socket
/// refuses a zero timeout).
const MIN_SOCKET_TIMEOUT: Duration = Duration::from_millis(1);

/// One direction of a socket, whose blocking calls keep to a [`Limit`].
/// The socket's own timeout is set only when it must shrink (or after it
/// fired): a timeout no longer than the time left serves again without a
/// system call, so a steady stream of reads costs no extra system calls.
struct Timed {
    stream: TcpStream,
    direction: Direction,
    /// The socket's timeout now (`Some(None)`: none); `None` if unknown.
    armed: Option<Option<Duration>>,
    /// When a byte last moved in this direction (or the channel was made).
    quiet_since: Instant,
    /// The limits of the read under way (reads only; writes pass theirs).
    limit: Limit,
}

impl Timed {
    fn new(stream: TcpStream, direction: Direction) -> io::Result<Timed> {
        let mut t = Timed {
            stream,
            direction,
            armed: None,
            quiet_since: Instant::now(),
            limit: Limit {
                idle: None,
                deadline: None,
            },
        };
        // An accepted socket may inherit a timeout from its listener.
        t.arm(None)?;
        Ok(t)
    }

    /// Makes the socket's timeout no longer than `left`.
    fn arm(&mut self, left: Option<Duration>) -> io::Result<()> {
        let fits = match (self.armed, left) {
            (Some(armed), None) => armed.is_none(),
            (Some(Some(armed)), Some(left)) => armed <= left,
            _ => false,
        };
        if fits {
            return Ok(());
        }
        let timeout = left.map(|d| d.max(MIN_SOCKET_TIMEOUT));
        match self.direction {
            Direction::In => self.stream.set_read_timeout(timeout)?,
            Direction::Out => self.stream.set_write_timeout(timeout)?,
        }
        self.armed = Some(timeout);
        Ok(())
    }

    /// Runs `op`, one system call that moves bytes, until it moves some or
    /// fails, or `limit` passes.
    fn call(
        &mut self,
        limit: Limit,
        mut op: impl FnMut(&mut TcpStream) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let since = Instant::now();
        loop {
            let left = limit
                .time_left(since, self.quiet_since, self.direction)
                .map_err(|e| io::Error::new(io::ErrorKind::TimedOut, Expired(e)))?;
            self.arm(left)?;
            match op(&mut self.stream) {
                Ok(n) => {
                    if n > 0 {
                        self.quiet_since = Instant::now();
                    }
                    return Ok(n);
                }
                // The socket's timeout fired: the loop checks the limit.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    self.armed = None;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes all of `parts` under `limit`.
    fn write_all_vectored(
        &mut self,
        mut parts: &mut [IoSlice<'_>],
        limit: Limit,
    ) -> io::Result<()> {
        IoSlice::advance_slices(&mut parts, 0);
        while !parts.is_empty() {
            match self.call(limit, |s| s.write_vectored(parts))? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => IoSlice::advance_slices(&mut parts, n),
            }
        }
        Ok(())
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = self.limit;
        self.call(limit, |s| s.read(buf))
    }
}

/// The sending side of a [`TcpChannel`]: small writes gather in a buffer;
/// a large one leaves at once, together with what is buffered, in one
/// vectored system call and without being copied.
struct Outbox {
    socket: Timed,
    buf: Vec<u8>,
}

impl Outbox {
    fn write_all(&mut self, data: &[u8], patience: &Patience) -> io::Result<()> {
        if self.buf.len() + data.len() <= BUFFER {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        if data.len() < BUFFER / 2 {
            self.flush(patience)?;
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        let limit = patience.write_limit(self.buf.len() + data.len());
        let mut parts = [IoSlice::new(&self.buf), IoSlice::new(data)];
        self.socket.write_all_vectored(&mut parts, limit)?;
        self.buf.clear();
        Ok(())
    }

    fn flush(&mut self, patience: &Patience) -> io::Result<()> {
        if !self.buf.is_empty() {
            let limit = patience.write_limit(self.buf.len());
            self.socket
                .write_all_vectored(&mut [IoSlice::new(&self.buf)], limit)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Channel for TcpChannel {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.patience.wrote();
        self.writer
            .write_all(data, &self.patience)
            .map_err(Self::map)?;
        self.traffic.sent += data.len() as u64;
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.patience.reading(buf.len());
        // Flush first: a party that waits for the peer must not hold back
        // what the peer is waiting for. Bytes already buffered need no wait.
        if self.reader.buffer().len() < buf.len() {
            self.writer.flush(&self.patience).map_err(Self::map)?;
            let started = Instant::now();
            self.reader.get_mut().limit = self.patience.read_limit(started);
            let read = self.reader.read_exact(buf);
            self.patience.blocked(started.elapsed());
            read.map_err(Self::map)?;
        } else {
            self.reader.read_exact(buf).map_err(Self::map)?;
        }
        self.traffic.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.writer.flush(&self.patience).map_err(Self::map)
    }

    fn traffic(&self) -> Traffic {
        self.traffic
    }

    fn timeout(&self) -> Option<Duration> {
        self.patience.timeout
    }

    fn deadline(&self) -> Option<Deadline> {
        self.patience.phase
    }

    fn set_deadline(&mut self, deadline: Option<Deadline>) {
        self.patience.phase = deadline;
    }
}

impl Drop for TcpChannel {
    fn drop(&mut self) {
        // Deliver what was written before the channel went away (within the
        // limits of a write: a peer that does not read cannot hold us).
        let _ = self.writer.flush(&self.patience);
    }
}

/// One end of an in-memory channel pair: bytes travel in chunks over a
/// bounded crossbeam channel, so a fast writer blocks instead of growing
/// memory without bound. Reads and writes keep to the rules of the module
/// docs, a chunk counting as a system call.
pub struct MemChannel {
    tx: crossbeam::channel::Sender<Vec<u8>>,
    rx: crossbeam::channel::Receiver<Vec<u8>>,
    out: Vec<u8>,
    inbox: Vec<u8>,
    pos: usize,
    patience: Patience,
    /// When a chunk last arrived, and when the peer last took one.
    quiet_in: Instant,
    quiet_out: Instant,
    traffic: Traffic,
}

impl MemChannel {
    /// Two connected ends.
    pub fn pair() -> (MemChannel, MemChannel) {
        Self::pair_with_timeout(None)
    }

    /// Two connected ends whose reads and writes give up on the peer after
    /// `timeout` by the rules of the module docs.
    pub fn pair_with_timeout(timeout: Option<Duration>) -> (MemChannel, MemChannel) {
        let (atx, brx) = crossbeam::channel::bounded(64);
        let (btx, arx) = crossbeam::channel::bounded(64);
        let end = |tx, rx| MemChannel {
            tx,
            rx,
            out: Vec::with_capacity(BUFFER),
            inbox: Vec::new(),
            pos: 0,
            patience: Patience::new(timeout),
            quiet_in: Instant::now(),
            quiet_out: Instant::now(),
            traffic: Traffic::default(),
        };
        (end(atx, arx), end(btx, brx))
    }

    /// Sends what is buffered as one chunk, waiting for room within the
    /// limits of a write.
    fn push(&mut self) -> Result<(), ChannelError> {
        use crossbeam::channel::SendTimeoutError;
        if self.out.is_empty() {
            return Ok(());
        }
        let limit = self.patience.write_limit(self.out.len());
        let mut chunk = std::mem::replace(&mut self.out, Vec::with_capacity(BUFFER));
        let since = Instant::now();
        loop {
            let sent = match limit.time_left(since, self.quiet_out, Direction::Out)? {
                None => self.tx.send(chunk).map_err(|_| ChannelError::Closed),
                Some(left) => match self.tx.send_timeout(chunk, left) {
                    Err(SendTimeoutError::Timeout(back)) => {
                        chunk = back;
                        continue;
                    }
                    Err(SendTimeoutError::Disconnected(_)) => Err(ChannelError::Closed),
                    Ok(()) => Ok(()),
                },
            };
            self.quiet_out = Instant::now();
            return sent;
        }
    }

    /// The next chunk from the peer, waiting within `limit`.
    fn next_chunk(&mut self, limit: Limit) -> Result<Vec<u8>, ChannelError> {
        use crossbeam::channel::RecvTimeoutError;
        let since = Instant::now();
        loop {
            let chunk = match limit.time_left(since, self.quiet_in, Direction::In)? {
                None => self.rx.recv().map_err(|_| ChannelError::Closed)?,
                Some(left) => match self.rx.recv_timeout(left) {
                    Ok(chunk) => chunk,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return Err(ChannelError::Closed),
                },
            };
            self.quiet_in = Instant::now();
            return Ok(chunk);
        }
    }
}

impl Channel for MemChannel {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.patience.wrote();
        self.out.extend_from_slice(data);
        self.traffic.sent += data.len() as u64;
        if self.out.len() >= BUFFER {
            self.push()?;
        }
        Ok(())
    }

    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<(), ChannelError> {
        self.patience.reading(buf.len());
        self.push()?;
        self.traffic.received += buf.len() as u64;
        while !buf.is_empty() {
            if self.pos == self.inbox.len() {
                let started = Instant::now();
                let chunk = self.next_chunk(self.patience.read_limit(started));
                self.patience.blocked(started.elapsed());
                self.inbox = chunk?;
                self.pos = 0;
            }
            let n = buf.len().min(self.inbox.len() - self.pos);
            buf[..n].copy_from_slice(&self.inbox[self.pos..self.pos + n]);
            self.pos += n;
            buf = &mut buf[n..];
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.push()
    }

    fn traffic(&self) -> Traffic {
        self.traffic
    }

    fn timeout(&self) -> Option<Duration> {
        self.patience.timeout
    }

    fn deadline(&self) -> Option<Deadline> {
        self.patience.phase
    }

    fn set_deadline(&mut self, deadline: Option<Deadline>) {
        self.patience.phase = deadline;
    }
}

impl Drop for MemChannel {
    fn drop(&mut self) {
        // Deliver what was written before the end went away, as TCP would.
        let _ = self.push();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_pair_round_trip() {
        let (mut a, mut b) = MemChannel::pair();
        let t = std::thread::spawn(move || {
            a.send_frame(b"hello").unwrap();
            a.send_blocks(&[Block(7), Block(u128::MAX)]).unwrap();
            a.flush().unwrap();
        });
        assert_eq!(b.recv_frame("greeting", 16).unwrap(), b"hello");
        let mut blocks = [Block::ZERO; 2];
        b.recv_blocks(&mut blocks).unwrap();
        assert_eq!(blocks, [Block(7), Block(u128::MAX)]);
        t.join().unwrap();
    }

    #[test]
    fn oversized_frame_is_refused_before_allocation() {
        let (mut a, mut b) = MemChannel::pair();
        a.send_u64(1 << 63).unwrap();
        a.flush().unwrap();
        assert!(matches!(
            b.recv_frame("table batch", 1 << 20),
            Err(ChannelError::TooLarge { len, .. }) if len == 1 << 63
        ));
    }

    #[test]
    fn dropped_peer_is_closed_and_silent_peer_times_out() {
        let (a, mut b) = MemChannel::pair();
        drop(a);
        assert!(matches!(b.recv_u64(), Err(ChannelError::Closed)));
        let (_a, mut b) = MemChannel::pair_with_timeout(Some(Duration::from_millis(20)));
        assert!(matches!(b.recv_u64(), Err(ChannelError::Timeout(_))));
    }

    /// A loopback pair: this end with `timeout`, the peer's raw stream.
    fn tcp_pair(timeout: Duration) -> (TcpChannel, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mine, _) = listener.accept().unwrap();
        (TcpChannel::new(mine, Some(timeout)).unwrap(), peer)
    }

    /// Writes one byte every `every`, `n` times, stopping at the first error.
    fn trickle(mut peer: TcpStream, n: usize, every: Duration) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            for _ in 0..n {
                std::thread::sleep(every);
                if peer.write_all(&[0x5a]).is_err() {
                    return;
                }
            }
        })
    }

    #[test]
    fn a_trickling_tcp_peer_cannot_stretch_a_read() {
        // 40 bytes at one per 30 ms would take 1.2 s; the idle timeout of
        // 100 ms alone never fires.
        let timeout = Duration::from_millis(100);
        let (mut ch, peer) = tcp_pair(timeout);
        let peer = trickle(peer, 40, Duration::from_millis(30));
        let started = Instant::now();
        let err = ch
            .read_exact(&mut [0u8; 40])
            .expect_err("a trickle is too slow");
        let took = started.elapsed();
        assert!(
            matches!(
                err,
                ChannelError::Deadline {
                    what: READ_WHAT,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("the deadline passed"), "{err}");
        assert!(took < 3 * timeout, "gave up after {took:?}");
        drop(ch);
        peer.join().unwrap();
    }

    #[test]
    fn a_trickle_across_reads_of_one_wait_is_one_deadline() {
        // Each read gets its bytes in time, but the wait as a whole (no write
        // in between) does not.
        let timeout = Duration::from_millis(150);
        let (mut ch, peer) = tcp_pair(timeout);
        let peer = trickle(peer, 20, Duration::from_millis(40));
        let started = Instant::now();
        let err = (0..20)
            .try_for_each(|_| ch.read_exact(&mut [0u8; 1]))
            .expect_err("the wait is too long");
        assert!(matches!(err, ChannelError::Deadline { .. }), "{err:?}");
        assert!(started.elapsed() < 3 * timeout, "{:?}", started.elapsed());
        drop(ch);
        peer.join().unwrap();
    }

    #[test]
    fn a_steady_transfer_longer_than_the_timeout_is_not_cut() {
        // 256 KiB at 400 KiB/s: 640 ms of reading with a 200 ms timeout.
        let (mut ch, mut peer) = tcp_pair(Duration::from_millis(200));
        let writer = std::thread::spawn(move || {
            for _ in 0..32 {
                std::thread::sleep(Duration::from_millis(20));
                peer.write_all(&[7u8; 8 << 10]).unwrap();
            }
        });
        let mut buf = vec![0u8; 256 << 10];
        ch.read_exact(&mut buf).expect("a steady peer is in time");
        assert!(buf.iter().all(|&b| b == 7));
        writer.join().unwrap();
    }

    #[test]
    fn own_work_between_the_reads_of_a_wait_does_not_count() {
        // Two reads of one wait, 300 ms of this party's work between them,
        // a 200 ms timeout: only the time blocked on the peer counts.
        let (mut ch, mut peer) = tcp_pair(Duration::from_millis(200));
        let writer = std::thread::spawn(move || {
            peer.write_all(&[1]).unwrap();
            std::thread::sleep(Duration::from_millis(350));
            peer.write_all(&[2]).unwrap();
            peer
        });
        let mut b = [0u8; 1];
        ch.read_exact(&mut b).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        ch.read_exact(&mut b)
            .expect("the peer answered 50 ms after we asked");
        assert_eq!(b, [2]);
        drop(writer.join().unwrap());
    }

    #[test]
    fn a_phase_deadline_bounds_every_read() {
        let (mut ch, peer) = tcp_pair(Duration::from_secs(5));
        let peer = trickle(peer, 20, Duration::from_millis(20));
        ch.set_deadline(Some(Deadline::after(
            Duration::from_millis(100),
            "the test phase",
        )));
        let started = Instant::now();
        let err = ch
            .read_exact(&mut [0u8; 20])
            .expect_err("past the deadline");
        assert!(
            matches!(
                err,
                ChannelError::Deadline {
                    what: "the test phase",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("did not finish the test phase within 100ms"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_millis(300));
        drop(ch);
        peer.join().unwrap();
    }

    #[test]
    fn a_silent_peer_is_reported_as_silent_even_at_a_deadline() {
        let timeout = Duration::from_millis(100);
        let (mut ch, _peer) = tcp_pair(timeout);
        ch.set_deadline(Some(Deadline::after(timeout, "the test phase")));
        let err = ch.recv_u64().expect_err("silence");
        assert!(
            matches!(err, ChannelError::Timeout(t) if t == timeout),
            "{err:?}"
        );
    }

    #[test]
    fn a_tcp_peer_that_does_not_read_times_out_a_write() {
        let timeout = Duration::from_millis(100);
        let (mut ch, _peer) = tcp_pair(timeout);
        let started = Instant::now();
        let chunk = vec![0u8; 1 << 20];
        let err = (0..256)
            .try_for_each(|_| ch.write_all(&chunk))
            .expect_err("the socket buffers fill up");
        assert!(
            matches!(
                err,
                ChannelError::WriteTimeout(_) | ChannelError::Deadline { .. }
            ),
            "{err:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_mem_peer_that_does_not_read_times_out_a_write() {
        // The writer runs on a thread so that a write that blocks forever
        // fails the test instead of hanging it.
        let timeout = Duration::from_millis(50);
        let (mut a, b) = MemChannel::pair_with_timeout(Some(timeout));
        let (done, result) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            let started = Instant::now();
            let chunk = vec![0u8; BUFFER];
            // The crossbeam channel holds 64 chunks; the 65th must wait.
            let r = (0..128).try_for_each(|_| a.write_all(&chunk));
            let _ = done.send((r, started.elapsed()));
            drop(a);
        });
        let (r, took) = result
            .recv_timeout(Duration::from_secs(5))
            .expect("a MemChannel write must not block forever");
        let err = r.expect_err("nobody reads");
        assert!(
            matches!(err, ChannelError::WriteTimeout(t) if t == timeout),
            "{err:?}"
        );
        assert!(err.to_string().contains("stopped reading"), "{err}");
        assert!(took < Duration::from_secs(1), "{took:?}");
        drop(b);
        writer.join().unwrap();
    }

    #[test]
    fn a_trickling_mem_peer_cannot_stretch_a_read() {
        let timeout = Duration::from_millis(100);
        let (mut a, mut b) = MemChannel::pair_with_timeout(Some(timeout));
        let peer = std::thread::spawn(move || {
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(30));
                if a.write_all(&[1]).and_then(|()| a.flush()).is_err() {
                    return;
                }
            }
        });
        let started = Instant::now();
        let err = b
            .read_exact(&mut [0u8; 40])
            .expect_err("a trickle is too slow");
        assert!(matches!(err, ChannelError::Deadline { .. }), "{err:?}");
        assert!(started.elapsed() < 3 * timeout, "{:?}", started.elapsed());
        drop(b);
        peer.join().unwrap();
    }

    #[test]
    fn tcp_round_trip_and_close() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            let mut c = TcpChannel::new(s, Some(Duration::from_secs(5))).unwrap();
            let v = c.recv_u64().unwrap();
            c.send_u64(v + 1).unwrap();
            c.flush().unwrap();
        });
        let s = TcpStream::connect(addr).unwrap();
        let mut c = TcpChannel::new(s, Some(Duration::from_secs(5))).unwrap();
        c.send_u64(41).unwrap();
        assert_eq!(c.recv_u64().unwrap(), 42);
        t.join().unwrap();
        assert!(matches!(c.recv_u64(), Err(ChannelError::Closed)));
        assert_eq!(
            c.traffic(),
            Traffic {
                sent: 8,
                received: 8
            }
        );
    }
}

//! `Channel`: the only way bytes move between the two parties.
//!
//! The cryptographic cores never touch a channel; the protocol layer does.
//! Two implementations: [`TcpChannel`] (buffered, `TCP_NODELAY`, optional
//! read timeout) and [`MemChannel`] (an in-process pair over crossbeam, for
//! tests and benchmarks). Every length read off the wire is checked against a
//! caller-given bound before anything is allocated.

use crate::block::Block;
use std::io::{self, BufReader, IoSlice, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What went wrong while talking to the peer.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("the peer closed the connection")]
    Closed,
    #[error("the peer sent nothing for {0:?} (timed out)")]
    Timeout(Duration),
    #[error("the peer announced a {what} of {len} bytes, more than the {max} allowed")]
    TooLarge {
        what: &'static str,
        len: u64,
        max: u64,
    },
    #[error("network error: {0}")]
    Io(#[from] io::Error),
}

/// Bytes sent and received so far, for reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub sent: u64,
    pub received: u64,
}

/// A reliable, ordered byte stream to the peer. Writes may be buffered until
/// [`Channel::flush`]; a party must flush before it waits for an answer.
pub trait Channel {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError>;
    /// Fills `buf` from the peer. An implementation that buffers writes
    /// flushes them before it waits for the peer (both of Yao's do), so
    /// nothing the peer waits for is held back; the protocol relies on it.
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError>;
    fn flush(&mut self) -> Result<(), ChannelError>;
    fn traffic(&self) -> Traffic;

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

/// Views blocks as their little-endian bytes (x86_64 and aarch64 are
/// little-endian, so `Block(u128)` is already in wire order).
pub fn blocks_as_bytes(blocks: &[Block]) -> &[u8] {
    #[cfg(target_endian = "big")]
    compile_error!("Yao's wire format assumes a little-endian target");
    // SAFETY: Block is repr(transparent) over u128, which has no padding and
    // no invalid bit patterns; u8 has alignment 1.
    unsafe { std::slice::from_raw_parts(blocks.as_ptr().cast(), std::mem::size_of_val(blocks)) }
}

pub fn blocks_as_bytes_mut(blocks: &mut [Block]) -> &mut [u8] {
    // SAFETY: as above; every byte pattern is a valid u128.
    unsafe {
        std::slice::from_raw_parts_mut(blocks.as_mut_ptr().cast(), std::mem::size_of_val(blocks))
    }
}

const BUFFER: usize = 1 << 16;

/// A TCP connection with buffered reads, coalesced writes and Nagle's
/// algorithm off (each party flushes whole messages, so delaying small
/// segments only adds latency).
pub struct TcpChannel {
    reader: BufReader<TcpStream>,
    writer: Outbox,
    timeout: Option<Duration>,
    traffic: Traffic,
}

/// Socket buffers asked for on loopback (the kernel caps them at
/// `net.core.{r,w}mem_max`).
const LOOPBACK_SOCKET_BUFFER: usize = 4 << 20;

impl TcpChannel {
    /// Wraps a connected stream. With `timeout`, a read that waits longer
    /// than that for the peer fails with [`ChannelError::Timeout`].
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
        stream.set_read_timeout(timeout)?;
        stream.set_write_timeout(timeout)?;
        let reader = BufReader::with_capacity(BUFFER, stream.try_clone()?);
        Ok(TcpChannel {
            reader,
            writer: Outbox {
                stream,
                buf: Vec::with_capacity(BUFFER),
            },
            timeout,
            traffic: Traffic::default(),
        })
    }

    fn map(&self, e: io::Error) -> ChannelError {
        match e.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => ChannelError::Closed,
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                ChannelError::Timeout(self.timeout.unwrap_or_default())
            }
            _ => ChannelError::Io(e),
        }
    }
}

/// The sending side of a [`TcpChannel`]: small writes gather in a buffer;
/// a large one leaves at once, together with what is buffered, in one
/// vectored system call and without being copied.
struct Outbox {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Outbox {
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if self.buf.len() + data.len() <= BUFFER {
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        if data.len() < BUFFER / 2 {
            self.flush()?;
            self.buf.extend_from_slice(data);
            return Ok(());
        }
        let mut parts = [IoSlice::new(&self.buf), IoSlice::new(data)];
        let mut parts = &mut parts[..];
        IoSlice::advance_slices(&mut parts, 0);
        while !parts.is_empty() {
            match self.stream.write_vectored(parts) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut parts, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.buf.clear();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.stream.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        // Deliver what was written before the channel went away.
        let _ = self.flush();
    }
}

impl Channel for TcpChannel {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.writer.write_all(data).map_err(|e| self.map(e))?;
        self.traffic.sent += data.len() as u64;
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        // Flush first: a party that waits for the peer must not hold back
        // what the peer is waiting for. Bytes already buffered need no wait.
        if self.reader.buffer().len() < buf.len() {
            self.writer.flush().map_err(|e| self.map(e))?;
        }
        self.reader.read_exact(buf).map_err(|e| self.map(e))?;
        self.traffic.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.writer.flush().map_err(|e| self.map(e))
    }

    fn traffic(&self) -> Traffic {
        self.traffic
    }
}

/// One end of an in-memory channel pair: bytes travel in chunks over a
/// bounded crossbeam channel, so a fast writer blocks instead of growing
/// memory without bound.
pub struct MemChannel {
    tx: crossbeam::channel::Sender<Vec<u8>>,
    rx: crossbeam::channel::Receiver<Vec<u8>>,
    out: Vec<u8>,
    inbox: Vec<u8>,
    pos: usize,
    timeout: Option<Duration>,
    traffic: Traffic,
}

impl MemChannel {
    /// Two connected ends.
    pub fn pair() -> (MemChannel, MemChannel) {
        Self::pair_with_timeout(None)
    }

    /// Two connected ends whose reads give up after `timeout`.
    pub fn pair_with_timeout(timeout: Option<Duration>) -> (MemChannel, MemChannel) {
        let (atx, brx) = crossbeam::channel::bounded(64);
        let (btx, arx) = crossbeam::channel::bounded(64);
        let end = |tx, rx| MemChannel {
            tx,
            rx,
            out: Vec::with_capacity(BUFFER),
            inbox: Vec::new(),
            pos: 0,
            timeout,
            traffic: Traffic::default(),
        };
        (end(atx, arx), end(btx, brx))
    }

    fn push(&mut self) -> Result<(), ChannelError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.out, Vec::with_capacity(BUFFER));
        self.tx.send(chunk).map_err(|_| ChannelError::Closed)
    }
}

impl Channel for MemChannel {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.out.extend_from_slice(data);
        self.traffic.sent += data.len() as u64;
        if self.out.len() >= BUFFER {
            self.push()?;
        }
        Ok(())
    }

    fn read_exact(&mut self, mut buf: &mut [u8]) -> Result<(), ChannelError> {
        self.push()?;
        self.traffic.received += buf.len() as u64;
        while !buf.is_empty() {
            if self.pos == self.inbox.len() {
                self.inbox = match self.timeout {
                    None => self.rx.recv().map_err(|_| ChannelError::Closed)?,
                    Some(t) => self.rx.recv_timeout(t).map_err(|e| match e {
                        crossbeam::channel::RecvTimeoutError::Timeout => ChannelError::Timeout(t),
                        crossbeam::channel::RecvTimeoutError::Disconnected => ChannelError::Closed,
                    })?,
                };
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

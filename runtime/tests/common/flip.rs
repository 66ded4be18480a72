//! A channel that corrupts one write, to play a peer that tampers with one
//! message: it XORs `mask` into byte `at` of the first write of exactly
//! `len` bytes and passes everything else through.
#![allow(dead_code)]

use yao_runtime::channel::Traffic;
use yao_runtime::{Channel, ChannelError, MemChannel};

pub struct FlipFirst {
    inner: MemChannel,
    len: usize,
    at: usize,
    mask: u8,
    done: bool,
}

impl FlipFirst {
    /// Flips the bits `mask` of byte `at` of the first `len`-byte write.
    pub fn new(inner: MemChannel, len: usize, at: usize, mask: u8) -> FlipFirst {
        FlipFirst {
            inner,
            len,
            at,
            mask,
            done: false,
        }
    }
}

impl Channel for FlipFirst {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        if !self.done && data.len() == self.len {
            self.done = true;
            let mut bad = data.to_vec();
            bad[self.at] ^= self.mask;
            return self.inner.write_all(&bad);
        }
        self.inner.write_all(data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.read_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> Traffic {
        self.inner.traffic()
    }
}

//! The Ristretto arithmetic both base OTs ([`super::base`], [`super::csw`])
//! share: decoding the peer's points, the halved scalars that let a batch of
//! Diffie-Hellman values be compressed together, and spreading that work
//! over the cores.
//!
//! Every key comes from a point `2 * (s/2) * P`: multiplying by the halved
//! scalar and letting `double_and_compress_batch` double is the same value,
//! but compresses a whole batch with one field inversion.

use super::MessageError;
use crate::block::Block;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of a compressed point.
pub(super) const POINT: usize = 32;

/// The scalar `1/2 mod l`, i.e. `(l + 1) / 2`.
pub(super) fn half() -> Scalar {
    static HALF: std::sync::OnceLock<Scalar> = std::sync::OnceLock::new();
    *HALF.get_or_init(|| Scalar::from(2u64).invert())
}

/// The peer's point `index` of kind `what`: a canonical encoding, not the
/// identity.
pub(super) fn decode(
    bytes: &[u8],
    what: &'static str,
    index: usize,
) -> Result<RistrettoPoint, MessageError> {
    let point = CompressedRistretto::from_slice(bytes)
        .ok()
        .and_then(|c| c.decompress())
        .ok_or(MessageError::InvalidPoint { what, index })?;
    if point.is_identity() {
        return Err(MessageError::IdentityPoint { what, index });
    }
    Ok(point)
}

/// The receiver's key of each OT `i`: `kdf(i, 2 * halves[i] * point)`, the
/// multiplications by one fixed `point` through a precomputed table.
pub(super) fn receiver_keys(
    point: &RistrettoPoint,
    halves: &[Zeroizing<Scalar>],
    kdf: impl Fn(usize, &[u8; POINT]) -> Block + Sync,
) -> Vec<Block> {
    let table = RistrettoBasepointTable::create(point);
    let mut keys = vec![Block::ZERO; halves.len()];
    par_fill(&mut keys, |range, keys| {
        let mut shared: Vec<RistrettoPoint> = halves[range.clone()]
            .iter()
            .map(|h| &table * &**h)
            .collect();
        let mut enc = RistrettoPoint::double_and_compress_batch(&shared);
        for ((i, k), e) in range.zip(keys).zip(&enc) {
            *k = kdf(i, e.as_bytes());
        }
        shared.zeroize();
        enc.zeroize();
        Ok::<_, MessageError>(())
    })
    .expect("deriving the receiver keys cannot fail");
    keys
}

/// The sender's two keys of each of `n` OTs: `[kdf(i, 2 * p_0), kdf(i, 2 *
/// p_1)]` where `[p_0, p_1] = halved(i)` (the halved Diffie-Hellman values,
/// or an error that refuses the peer's message). Nothing is left behind on
/// an error.
pub(super) fn sender_keys(
    n: usize,
    halved: impl Fn(usize) -> Result<[RistrettoPoint; 2], MessageError> + Sync,
    kdf: impl Fn(usize, &[u8; POINT]) -> Block + Sync,
) -> Result<Vec<[Block; 2]>, MessageError> {
    let mut keys = vec![[Block::ZERO; 2]; n];
    let done = par_fill(&mut keys, |range, keys| {
        let mut shared = Vec::with_capacity(2 * range.len());
        for i in range.clone() {
            match halved(i) {
                Ok(pair) => shared.extend_from_slice(&pair),
                Err(e) => {
                    shared.zeroize();
                    return Err(e);
                }
            }
        }
        let mut enc = RistrettoPoint::double_and_compress_batch(&shared);
        for ((i, k), e) in range.zip(keys).zip(enc.chunks_exact(2)) {
            *k = [kdf(i, e[0].as_bytes()), kdf(i, e[1].as_bytes())];
        }
        shared.zeroize();
        enc.zeroize();
        Ok(())
    });
    if let Err(e) = done {
        keys.zeroize();
        return Err(e);
    }
    Ok(keys)
}

/// Runs `f(range, &mut out[range])` on consecutive ranges covering `out`, in
/// parallel on up to four threads when the work is big enough (each item
/// costs tens of microseconds), and returns what each call returned, in
/// order, or the first error. Secrets go to `out`, written in place, so no
/// copies are left behind in freed buffers.
pub(super) fn par_fill<T: Send, R: Send, E: Send>(
    out: &mut [T],
    f: impl Fn(std::ops::Range<usize>, &mut [T]) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let n = out.len();
    // Asked once: `available_parallelism` reads cgroup files on Linux.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |t| t.get()));
    let threads = cores.min(4).min(n / 16).max(1);
    let per = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let f = &f;
        let mut chunks = out.chunks_mut(per).enumerate();
        let first = chunks.next();
        let handles: Vec<_> = chunks
            .map(|(k, chunk)| s.spawn(move || f(k * per..k * per + chunk.len(), chunk)))
            .collect();
        let mut results = Vec::with_capacity(threads);
        if let Some((_, chunk)) = first {
            results.push(f(0..chunk.len(), chunk));
        }
        for h in handles {
            results.push(h.join().expect("base-OT worker thread panicked"));
        }
        results.into_iter().collect()
    })
}

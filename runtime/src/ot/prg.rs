//! The PRG of OT extension: AES-128 in counter mode, keyed by a base-OT seed.
//!
//! Each column of the IKNP matrix is `G(seed)`, the encryption of the counter
//! blocks under the seed as key (AES as a PRF gives a PRG). Counters are
//! passed in, shared by all columns and never repeated under one key.
//!
//! The `aes` crate is the implementation, with one exception: the `aes` 0.9
//! crate asks `cpufeatures` 0.3 for VAES, which wrongly also requires the
//! AVX-512 register state, so on CPUs with VAES but no AVX-512 (AMD Zen 3,
//! Intel Alder Lake and later client cores) it falls back to one block per
//! AES-NI instruction. There, this module runs the same AES rounds two blocks
//! per VAES instruction (std's detection of `vaes` checks AVX state only).
//! Tests check it against the `aes` crate and FIPS-197.

use crate::block::Block;
use crate::channel::{blocks_as_bytes, blocks_as_bytes_mut};
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes::Aes128;
use zeroize::Zeroize;

/// AES-128-CTR keyed by one seed.
pub struct Prg(Inner);

enum Inner {
    Crate(Box<Aes128>),
    #[cfg(target_arch = "x86_64")]
    Vaes(vaes::RoundKeys),
}

impl Prg {
    pub fn new(seed: Block) -> Prg {
        #[cfg(target_arch = "x86_64")]
        if vaes::available() {
            return Prg(Inner::Vaes(vaes::RoundKeys::new(seed)));
        }
        Prg::with_crate(seed)
    }

    fn with_crate(seed: Block) -> Prg {
        let mut key = seed.to_bytes();
        let aes = Aes128::new(&Array::from(key));
        key.zeroize();
        Prg(Inner::Crate(Box::new(aes)))
    }

    /// Encrypts the counter blocks `ctr` into `out` (same length).
    pub fn fill(&self, ctr: &[Block], out: &mut [Block]) {
        assert_eq!(ctr.len(), out.len(), "one keystream block per counter");
        match &self.0 {
            Inner::Crate(aes) => {
                let (input, _) = blocks_as_bytes(ctr).as_chunks::<16>();
                let (output, _) = blocks_as_bytes_mut(out).as_chunks_mut::<16>();
                aes.encrypt_blocks_b2b(
                    Array::cast_slice_from_core(input),
                    Array::cast_slice_from_core_mut(output),
                )
                .expect("lengths checked above");
            }
            #[cfg(target_arch = "x86_64")]
            Inner::Vaes(keys) => keys.ctr(ctr, out),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vaes {
    use crate::block::Block;
    use std::arch::x86_64::*;
    use zeroize::{Zeroize, ZeroizeOnDrop};

    pub fn available() -> bool {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("vaes")
    }

    /// The eleven AES-128 round keys, wiped on drop.
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub struct RoundKeys([Block; 11]);

    impl RoundKeys {
        pub fn new(seed: Block) -> RoundKeys {
            assert!(available());
            // SAFETY: AES-NI (and SSE2) were detected.
            unsafe { expand(seed) }
        }

        pub fn ctr(&self, ctr: &[Block], out: &mut [Block]) {
            debug_assert_eq!(ctr.len(), out.len());
            // SAFETY: a `RoundKeys` exists only once `available()` held; the
            // lengths are equal, which `encrypt` relies on.
            unsafe { encrypt(&self.0, ctr, out) }
        }
    }

    /// One step of the key schedule (FIPS-197 5.2) with AESKEYGENASSIST.
    #[inline]
    #[target_feature(enable = "aes")]
    fn step<const RCON: i32>(prev: __m128i) -> __m128i {
        let t = _mm_shuffle_epi32::<0xff>(_mm_aeskeygenassist_si128::<RCON>(prev));
        let mut k = prev;
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        _mm_xor_si128(k, t)
    }

    #[target_feature(enable = "aes")]
    fn expand(seed: Block) -> RoundKeys {
        let mut rk = [_mm_setzero_si128(); 11];
        // SAFETY: reads the 16 bytes of a `Block`.
        rk[0] = unsafe { _mm_loadu_si128((&seed as *const Block).cast()) };
        rk[1] = step::<0x01>(rk[0]);
        rk[2] = step::<0x02>(rk[1]);
        rk[3] = step::<0x04>(rk[2]);
        rk[4] = step::<0x08>(rk[3]);
        rk[5] = step::<0x10>(rk[4]);
        rk[6] = step::<0x20>(rk[5]);
        rk[7] = step::<0x40>(rk[6]);
        rk[8] = step::<0x80>(rk[7]);
        rk[9] = step::<0x1b>(rk[8]);
        rk[10] = step::<0x36>(rk[9]);
        let mut keys = RoundKeys([Block::ZERO; 11]);
        for (k, r) in keys.0.iter_mut().zip(&mut rk) {
            // SAFETY: writes the 16 bytes of a `Block`.
            unsafe { _mm_storeu_si128((k as *mut Block).cast(), *r) };
            *r = _mm_setzero_si128();
        }
        keys
    }

    /// Blocks in flight: 8 registers of 2 blocks hide the VAES latency.
    const LANES: usize = 8;

    /// # Safety
    /// AES-NI, AVX2 and VAES must be available and `input.len() == out.len()`.
    #[target_feature(enable = "aes,avx2,vaes")]
    unsafe fn encrypt(keys: &[Block; 11], input: &[Block], out: &mut [Block]) {
        let rk: [__m256i; 11] = std::array::from_fn(|r| {
            // SAFETY: reads the 16 bytes of a `Block`.
            _mm256_broadcastsi128_si256(unsafe {
                _mm_loadu_si128((&keys[r] as *const Block).cast())
            })
        });
        let mut i = 0;
        let n = input.len();
        while i + 2 * LANES <= n {
            // SAFETY: blocks i .. i + 16 exist in both slices.
            let mut x: [__m256i; LANES] = std::array::from_fn(|l| unsafe {
                _mm256_xor_si256(
                    _mm256_loadu_si256(input.as_ptr().add(i + 2 * l).cast()),
                    rk[0],
                )
            });
            for key in &rk[1..10] {
                for v in &mut x {
                    *v = _mm256_aesenc_epi128(*v, *key);
                }
            }
            for (l, v) in x.iter().enumerate() {
                let c = _mm256_aesenclast_epi128(*v, rk[10]);
                // SAFETY: as above.
                unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(i + 2 * l).cast(), c) };
            }
            i += 2 * LANES;
        }
        while i < n {
            // SAFETY: block i exists in both slices.
            let mut v = _mm_xor_si128(
                unsafe { _mm_loadu_si128(input.as_ptr().add(i).cast()) },
                _mm256_castsi256_si128(rk[0]),
            );
            for key in &rk[1..10] {
                v = _mm_aesenc_si128(v, _mm256_castsi256_si128(*key));
            }
            v = _mm_aesenclast_si128(v, _mm256_castsi256_si128(rk[10]));
            // SAFETY: as above.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), v) };
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> [u8; 16] {
        std::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
    }

    #[test]
    fn fips_197_appendix_c1() {
        let key = Block::from_bytes(hex("000102030405060708090a0b0c0d0e0f"));
        let pt = Block::from_bytes(hex("00112233445566778899aabbccddeeff"));
        let want = Block::from_bytes(hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
        let mut out = [Block::ZERO];
        Prg::new(key).fill(&[pt], &mut out);
        assert_eq!(out[0], want);
        Prg::with_crate(key).fill(&[pt], &mut out);
        assert_eq!(out[0], want);
    }

    #[test]
    fn same_keystream_as_the_aes_crate() {
        for len in [0, 1, 2, 15, 16, 17, 33, 64, 100] {
            let key = Block::random();
            let ctr: Vec<Block> = (0..len).map(|_| Block::random()).collect();
            let mut a = vec![Block::ZERO; len];
            let mut b = vec![Block::ZERO; len];
            Prg::new(key).fill(&ctr, &mut a);
            Prg::with_crate(key).fill(&ctr, &mut b);
            assert_eq!(a, b, "{len} blocks");
        }
    }
}

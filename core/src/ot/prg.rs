//! The PRG of OT extension: AES-128 in counter mode, keyed by a base-OT seed.
//!
//! Each column of the IKNP matrix is `G(seed)`, the encryption of the counter
//! blocks under the seed as key (AES as a PRF gives a PRG). Counters are
//! passed in, shared by all columns and never repeated under one key.
//!
//! On CPUs with VAES but without AVX-512 the `aes` crate runs one block per
//! AES-NI instruction (see `crate::vaes`); there the crate's shared VAES
//! kernels run two blocks per instruction. Elsewhere the `aes` crate is the
//! implementation. Tests check both against each other and FIPS-197.

use crate::block::Block;
use crate::block::{blocks_as_bytes, blocks_as_bytes_mut};
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes::Aes128;
use zeroize::Zeroize;

/// AES-128-CTR keyed by one seed.
pub struct Prg(Inner);

enum Inner {
    Crate(Box<Aes128>),
    #[cfg(target_arch = "x86_64")]
    Vaes(Box<crate::vaes::Keys>),
}

impl Prg {
    /// The PRG keyed by `seed`, counter at zero.
    pub fn new(seed: Block) -> Prg {
        #[cfg(target_arch = "x86_64")]
        {
            let mut key = seed.to_bytes();
            let keys = crate::vaes::Keys::new(key);
            key.zeroize();
            if let Some(keys) = keys {
                return Prg(Inner::Vaes(Box::new(keys)));
            }
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
            Inner::Vaes(keys) => keys.encrypt(ctr, out),
        }
    }
}

impl Drop for Prg {
    fn drop(&mut self) {
        // The `aes` crate zeroizes its own key schedule (its `zeroize`
        // feature); the VAES round keys are wiped here.
        #[cfg(target_arch = "x86_64")]
        if let Inner::Vaes(keys) = &mut self.0 {
            keys.wipe();
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

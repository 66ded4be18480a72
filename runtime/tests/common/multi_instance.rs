//! The re-keyed multi-instance hash of Guo, Katz, Wang, Wu and Yu, "Better
//! Concrete Security for Half-Gates Garbling (in the Multi-Instance
//! Setting)" (CRYPTO 2020), `H(x, i) = AES_{S ^ i}(x) ^ x` with a public
//! per-session salt `S`: kept only for the measurement that justifies the
//! fixed-key TCCR the runtime uses (see `core/src/hash.rs`). Nothing
//! garbles with it, so it lives outside the library: included by path from
//! `runtime/tests/rates.rs` and `benches/garbling.rs` (not from
//! `common/mod.rs`, so other tests do not compile it).
#![allow(dead_code)]

use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use aes::{Aes128Enc, Block as AesBlock};
use yao_core::bench::rate;
use yao_core::Block;

/// `H(x, i) = AES_{S ^ i}(x) ^ x` under the salt `S`.
#[derive(Clone, Debug)]
pub struct MultiInstanceHash {
    salt: u128,
}

impl MultiInstanceHash {
    pub fn new(salt: Block) -> MultiInstanceHash {
        MultiInstanceHash { salt: salt.0 }
    }

    /// `out[m] = H(input[m], tweak(m))`, with `per_key` consecutive blocks
    /// sharing one tweak (and so one key schedule): 2 for the garbler's two
    /// labels of a wire, 1 for the evaluator.
    pub fn hash_many(
        &self,
        input: &[Block],
        out: &mut [Block],
        per_key: usize,
        tweak: impl Fn(usize) -> u128,
    ) {
        let per_key = per_key.max(1);
        for (c, (inp, o)) in input
            .chunks(per_key)
            .zip(out.chunks_mut(per_key))
            .enumerate()
        {
            let key = (self.salt ^ tweak(c * per_key)).to_le_bytes();
            let aes = Aes128Enc::new(&Array::from(key));
            let mut buf = [AesBlock::default(); 4];
            let k = inp.len().min(4);
            for (b, x) in buf.iter_mut().zip(inp) {
                *b = Array(x.to_bytes());
            }
            aes.encrypt_blocks(&mut buf[..k]);
            for ((o, b), x) in o.iter_mut().zip(&buf[..k]).zip(inp) {
                *o = Block(u128::from_le_bytes(b.0) ^ x.0);
            }
        }
    }
}

/// Blocks per second through [`MultiInstanceHash`] (one key schedule per
/// `per_key` blocks), measured like the runtime's own rates
/// (`yao_core::bench::rate`).
pub fn multi_instance_rate(seconds: f64, per_key: usize) -> f64 {
    let h = MultiInstanceHash::new(Block::random());
    let batch = 1024;
    let input: Vec<Block> = (0..batch as u128).map(|i| Block(i * 0x9e37_79b9)).collect();
    let mut out = vec![Block::ZERO; batch];
    let mut t0 = 0u128;
    rate(seconds, || {
        h.hash_many(&input, &mut out, per_key, |m| t0 + (m / per_key) as u128);
        t0 += batch as u128;
        std::hint::black_box(&out);
        batch as u64
    })
}

/// Panics unless [`MultiInstanceHash`] computes `AES_{S ^ i}(x) ^ x`.
pub fn check_definition() {
    let salt = Block::random();
    let mi = MultiInstanceHash::new(salt);
    let input: Vec<Block> = (0..6).map(|_| Block::random()).collect();
    let mut out = vec![Block::ZERO; 6];
    mi.hash_many(&input, &mut out, 2, |m| m as u128 / 2);
    for m in 0..6 {
        let aes = Aes128Enc::new(&Array::from((salt.0 ^ (m as u128 / 2)).to_le_bytes()));
        let mut b = Array(input[m].to_bytes());
        aes.encrypt_block(&mut b);
        assert_eq!(out[m].0, u128::from_le_bytes(b.0) ^ input[m].0);
    }
    assert!(multi_instance_rate(0.001, 2) > 0.0);
}

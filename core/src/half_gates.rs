//! Half-gates, one AND gate at a time: the scalar reference.
//!
//! [`garble_and`] and [`eval_and`] are the AND gate of Zahur, Rosulek and
//! Evans, "Two Halves Make a Whole" (EUROCRYPT 2015, "ZRE15"), hashed with
//! the fixed-key TCCR of Guo, Katz, Wang and Yu, "Efficient and Secure
//! Multiparty Computation from Fixed-Key Block Ciphers" (IEEE S&P 2020,
//! "GKWY20"): `H(x, i) = pi(pi(x) ^ i) ^ pi(x)`, `pi` = AES-128 under a fixed
//! public key, computed from scratch on every call ([`Tccr::hash`], the `aes`
//! crate's single-block path, whatever backend the `Tccr` has). They take
//! labels, `Delta` and the AND's sequence number and nothing else: no plan,
//! no slots, no memoized `pi`, no batching.
//!
//! [`crate::garbler`] and [`crate::evaluator`] compute the same function in
//! batches (steps of independent ANDs, `pi` memoized per label, the VAES
//! kernels of `vaes.rs`); per gate, even the portable path measured 4x to 7x
//! slower (see [`crate::garbler`], "The batch path and the reference"). So
//! these are the *oracle*: `runtime/tests/half_gates.rs` compares every table
//! block and output label of the real parties with a gate-by-gate run of
//! these, and the known-answer test below pins the bytes.
//!
//! ```text
//! garble (k: the AND's sequence number in the session, j = 2k, j' = 2k + 1)
//!   pa = lsb(A0), pb = lsb(B0)
//!   TG  = H(A0, j)  ^ H(A0 ^ D, j)  ^ pb*D      WG0 = H(A0, j)  ^ pa*TG
//!   TE  = H(B0, j') ^ H(B0 ^ D, j') ^ A0        WE0 = H(B0, j') ^ pb*(TE ^ A0)
//!   C0  = WG0 ^ WE0,  table = (TG, TE)
//! evaluate (active labels A, B)
//!   sa = lsb(A), sb = lsb(B)
//!   C   = H(A, j) ^ sa*TG  ^  H(B, j') ^ sb*(TE ^ A)
//! ```
//!
//! Why each term is there (ZRE15, section 3):
//!
//! - *Garbler half* `a & pb`, `pb` a bit the garbler knows: `TG` XORs the
//!   hashes of both labels of `a`, plus `pb*D`; the evaluator, holding
//!   `A = A0 ^ a*D` of colour `sa = pa ^ a`, gets `WG0 ^ (a & pb)*D`. The
//!   colour (random, as `lsb(D) = 1`), not `a`, selects the row.
//! - *Evaluator half* `a & (b ^ pb)`: `b ^ pb = sb` is a bit the evaluator
//!   knows (the colour of its label of `b`). `WE0` is the hash of the
//!   colour-0 label of `b`, `B0 ^ pb*D`; row `TE` is the XOR of the hashes of
//!   both labels of `b`, plus `A0`. With `sb = 0` the evaluator holds that
//!   label and gets `WE0`; with `sb = 1` it XORs in `TE ^ A`, which swaps its
//!   hash for the other label's and adds `a*D`: it gets `WE0 ^ (a & sb)*D`.
//! - *Together* `(a & pb) ^ (a & (b ^ pb)) = a & b`, so `C = C0 ^ (a & b)*D`:
//!   two blocks per AND, free-XOR (`C1 = C0 ^ D`) kept.
//! - *Tweaks* `j = 2k`, `j' = 2k + 1` ([`and_tweak`]): GKWY20 prove
//!   half-gates secure when `H` is tweakable circular correlation robust
//!   *and* no tweak is hashed twice under one `Delta`; each half of each AND
//!   hashes its own wire's two labels under its own tweak, and the session
//!   numbers ANDs without repeats ([`crate::tweak`]).
//!
//! Every selection by a secret bit (`pa`, `pb`, `sa`, `sb`) is a mask
//! ([`Block::mask`]), never a branch.

use crate::block::Block;
use crate::hash::{and_tweak, Tccr};

/// Garbles the AND gate with sequence number `and_index` (its place in the
/// session's AND numbering) whose input zero-labels are `a0` and `b0`,
/// under the free-XOR offset `delta` (its least significant bit set).
/// Returns the two table blocks `[TG, TE]` and the output zero-label `C0`
/// (see the module docs for the formula and why each term is there).
pub fn garble_and(
    hash: &Tccr,
    delta: Block,
    a0: Block,
    b0: Block,
    and_index: u64,
) -> ([Block; 2], Block) {
    debug_assert!(delta.lsb(), "point-and-permute needs lsb(Delta) = 1");
    let (j, j2) = (and_tweak(and_index, 0), and_tweak(and_index, 1));
    let pa = Block::mask(a0.lsb());
    let pb = Block::mask(b0.lsb());
    // Garbler half: a & pb.
    let ha0 = hash.hash(a0, j);
    let ha1 = hash.hash(a0 ^ delta, j);
    let tg = ha0 ^ ha1 ^ (pb & delta);
    let wg0 = ha0 ^ (pa & tg);
    // Evaluator half: a & (b ^ pb).
    let hb0 = hash.hash(b0, j2);
    let hb1 = hash.hash(b0 ^ delta, j2);
    let te = hb0 ^ hb1 ^ a0;
    let we0 = hb0 ^ (pb & (te ^ a0));
    ([tg, te], wg0 ^ we0)
}

/// Evaluates the AND gate with sequence number `and_index` from the active
/// input labels `a`, `b` and the table `[TG, TE]` that [`garble_and`] made:
/// returns the active output label (`C0 ^ (a & b)*Delta`).
pub fn eval_and(hash: &Tccr, a: Block, b: Block, table: [Block; 2], and_index: u64) -> Block {
    let [tg, te] = table;
    let sa = Block::mask(a.lsb());
    let sb = Block::mask(b.lsb());
    let wg = hash.hash(a, and_tweak(and_index, 0)) ^ (sa & tg);
    let we = hash.hash(b, and_tweak(and_index, 1)) ^ (sb & (te ^ a));
    wg ^ we
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};

    /// The fixed public key of `pi`, written out here (not imported from
    /// `hash.rs`), so that changing the key fails this test.
    const KEY: [u8; 16] = [
        0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70, 0x73,
        0x44,
    ];

    fn hex(b: Block) -> String {
        format!("{:032x}", b.0)
    }

    /// Half-gates written out again with the `aes` crate alone: AES-128
    /// under [`KEY`], tweak block `i ^ KEY` (as a little-endian `u128`), no
    /// code of this crate but `Block`.
    fn independent_garble(d: u128, a0: u128, b0: u128, k: u64) -> ([u128; 2], u128) {
        let aes = aes::Aes128Enc::new(&Array::from(KEY));
        let pi = |x: u128| {
            let mut b = Array(x.to_le_bytes());
            aes.encrypt_block(&mut b);
            u128::from_le_bytes(b.0)
        };
        let h = |x: u128, i: u64| {
            let t = u128::from(i) ^ u128::from_le_bytes(KEY);
            pi(pi(x) ^ t) ^ pi(x)
        };
        let bit = |x: u128| if x & 1 == 1 { u128::MAX } else { 0 };
        let (j, j2) = (2 * k, 2 * k + 1);
        let tg = h(a0, j) ^ h(a0 ^ d, j) ^ (bit(b0) & d);
        let wg0 = h(a0, j) ^ (bit(a0) & tg);
        let te = h(b0, j2) ^ h(b0 ^ d, j2) ^ a0;
        let we0 = h(b0, j2) ^ (bit(b0) & (te ^ a0));
        ([tg, te], wg0 ^ we0)
    }

    /// Fixed `Delta`, labels and AND numbers give these exact bytes (hex of
    /// the little-endian `u128` of each block). Fails if the formula, the
    /// tweak encoding, the AND-to-tweak numbering or the fixed key changes.
    #[test]
    fn known_answer() {
        let d = Block(0x0123_4567_89ab_cdef_fedc_ba98_7654_3211);
        // Every colour combination: (pa, pb) = (0, 1), (1, 0), (1, 1), (0, 0).
        let a0s = [
            Block(0x0f1e_2d3c_4b5a_6978_8796_a5b4_c3d2_e1f0),
            Block(0x1111_2222_3333_4444_5555_6666_7777_8889),
            Block(0xdead_beef_0000_0000_cafe_babe_0000_0001),
            Block(0x0000_0000_0000_0000_0000_0000_0000_0000),
        ];
        let b0s = [
            Block(0xa5a5_a5a5_5a5a_5a5a_0f0f_f0f0_1234_5677),
            Block(0x9999_8888_7777_6666_5555_4444_3333_2222),
            Block(0xffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff),
            Block(0x8000_0000_0000_0000_0000_0000_0000_0000),
        ];
        let ks = [0u64, (1 << 40) + 7];
        // (TG, TE, C0) for (a0s[i], b0s[i], ks[k]), in order i, then k.
        let want: [[&str; 3]; 8] = GOLDEN;
        let h = Tccr::new();
        let mut got = Vec::new();
        for (&a0, &b0) in a0s.iter().zip(&b0s) {
            for &k in &ks {
                let ([tg, te], c0) = garble_and(&h, d, a0, b0, k);
                let (it, ic0) = independent_garble(d.0, a0.0, b0.0, k);
                assert_eq!((tg.0, te.0, c0.0), (it[0], it[1], ic0), "independent AES");
                got.push([hex(tg), hex(te), hex(c0)]);
                // The evaluator gets C0 ^ (a & b)*D for every input pair.
                for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                    let la = a0 ^ (Block::mask(a) & d);
                    let lb = b0 ^ (Block::mask(b) & d);
                    let c = eval_and(&h, la, lb, [tg, te], k);
                    assert_eq!(c, c0 ^ (Block::mask(a & b) & d));
                }
            }
        }
        assert_eq!(
            got,
            want.map(|r| r.map(String::from)),
            "garbled bytes changed"
        );
    }

    /// `[TG, TE, C0]` of the cases of [`known_answer`], computed once with
    /// [`garble_and`] and checked then against the same formula over
    /// OpenSSL's AES (Python's `cryptography` package), besides the `aes`
    /// crate check the test itself makes.
    const GOLDEN: [[&str; 3]; 8] = [
        [
            "738ce65b74adbeedca2d564552176cad",
            "a4a1eded8ba295182ca29be1ba455496",
            "0b4b3f2cbaa15547cf29c3b1ac5bf750",
        ],
        [
            "b3f6e83c7561e3a1b061cdc65a2787b7",
            "e0ce28790cefa18413f8778d79d399e0",
            "e7feea431ce918297c947884814d0d47",
        ],
        [
            "c7fb4ef86af908073f9c26fdfc350f43",
            "74d02f2c4e3de61f463838b69ab2914e",
            "1441df21356797b48af6e492b40c3b9a",
        ],
        [
            "493419482e36d616722eb1ac43c7f009",
            "3de4801f948860397097d6d2a94fbe4d",
            "caee78faf325f4fcc05fedc405f9e797",
        ],
        [
            "56d89fe5fc48cf3b7109036e7b5709ac",
            "541d790ed69a0218b34d963a47d1cdb9",
            "0e2a9fdf4b6595e77b2da6ea13cfa4b1",
        ],
        [
            "771b1e56094ada8fb122f007d991c7f5",
            "8ebc9490dcbc36eb21526655e3c3cec0",
            "9a6c52f77b465145e5e47b13d424de3f",
        ],
        [
            "bb14247397c8d1d54bd4368b9697db37",
            "b625ddd94beb3e472ce6a88d2e3222d6",
            "91e60cb6fae7fef31e1a83b319bc1a17",
        ],
        [
            "3b3ef4324a4933a593bbda5609621da9",
            "90141213be416660fd57c6a7a1ca03f3",
            "80029a036b7c841e17b53da41ae773e6",
        ],
    ];

    /// Random labels, `Delta` and AND numbers: the evaluator recovers
    /// `C0 ^ (a & b)*Delta` on both hash backends, and the two backends
    /// garble the same bytes.
    #[test]
    fn correctness_on_random_labels() {
        let (fast, portable) = (Tccr::new(), Tccr::portable());
        for r in 0..200u64 {
            let d = Block(Block::random().0 | 1);
            let (a0, b0) = (Block::random(), Block::random());
            let k = r.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 3;
            let (t, c0) = garble_and(&portable, d, a0, b0, k);
            assert_eq!(garble_and(&fast, d, a0, b0, k), (t, c0));
            for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                let la = a0 ^ (Block::mask(a) & d);
                let lb = b0 ^ (Block::mask(b) & d);
                let want = c0 ^ (Block::mask(a & b) & d);
                assert_eq!(eval_and(&portable, la, lb, t, k), want);
                assert_eq!(eval_and(&fast, la, lb, t, k), want);
            }
        }
    }
}

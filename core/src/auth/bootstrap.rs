//! The base OTs of the second extension, made from the first one instead of
//! a second run of the public-key base OT.
//!
//! Each party is the KOS15 sender once ([`super::kos`]), so each extension
//! needs 128 base OTs in which the sender chooses the bits of its global
//! key. The public-key base OT ([`crate::ot::csw`]) runs once, for `A`'s
//! extension (`A` chooses the bits of `Delta_A`, `B` holds the pairs). `B`'s
//! extension then takes its base OTs from `A`'s:
//!
//! 1. `B` extends 128 correlated OTs of `A`'s extension with uniformly
//!    random choices `c_j`, KOS15 check included: `A` holds `q_j`, `B` holds
//!    `t_j = q_j ^ c_j * Delta_A`.
//! 2. Both hash them into random OTs with the tweakable
//!    circular-correlation-robust hash of [`crate::hash`] under a domain of
//!    their own ([`Domain::BaseOtBootstrap`], tweak `j`): `A` gets the pair
//!    `(H(q_j, j), H(q_j ^ Delta_A, j))`, `B` gets `H(t_j, j)`, the message
//!    of its choice `c_j`.
//! 3. Beaver's derandomization ("Precomputing Oblivious Transfer", CRYPTO
//!    1995) turns the random choices into the bits of `Delta_B`: `B` sends
//!    `e_j = c_j ^ Delta_B[j]` ([`SwapMsg`]) and `A` swaps pair `j` where
//!    `e_j = 1`. `B` now holds message `Delta_B[j]` of pair `j`: exactly the
//!    base OTs of `B`'s extension.
//!
//! This saves one public-key base OT (curve arithmetic on both sides) for
//! 128 + 168 correlated OTs and 384 hashes.
//!
//! # Why it is secure
//!
//! *Random OT from the checked COT.* Keller, Orsini and Scholl ("Actively
//! Secure OT Extension with Optimal Overhead", CRYPTO 2015, KOS15),
//! Theorem 1 (section 4): IKNP with their consistency check, followed by a
//! hash of `q_j` and `q_j ^ Delta` per OT, securely realizes random OT
//! against a malicious party. A receiver that passes the check with
//! inconsistent columns has guessed the `k` bits of `Delta_A` it touched,
//! which happens with probability `2^-k`, and the other bits stay hidden, so
//! `H(q_j ^ (1 ^ c_j) * Delta_A)` stays pseudorandom. KOS15 model the hash
//! as a random oracle; Guo, Katz, Wang and Yu ("Efficient and Secure
//! Multiparty Computation from Fixed-Key Block Ciphers", S&P 2020,
//! section 7) show that a tweakable circular-correlation-robust hash
//! suffices for this use, and [`crate::hash::Tccr`] is theirs. The tweak
//! domain is this step's alone, so no (input, tweak) pair it hashes under
//! `Delta_A` is hashed again by the leaky ANDs or the garbling.
//!
//! *The derandomization leaks nothing.* `e_j = c_j ^ Delta_B[j]` is
//! `Delta_B[j]` under a one-time pad: `c_j` is uniform, used nowhere else,
//! and hidden from `A` because the KOS15 sender learns nothing about the
//! receiver's choices (its view is the pseudorandom matrix `u` and the
//! check value `x`, which the 168 extra random choices make uniform; see
//! [`super::kos`]). Bit 0 of `Delta_B` is public (it is 0,
//! [`super::auth_bit::GlobalKey`]), so `e_0` reveals `c_0` and nothing else,
//! as a direct base OT reveals that choice bit.
//!
//! *A cheater.* `B` with inconsistent columns is caught by `A`'s KOS15 check
//! (or pays `2^-k`, above). `B` sending wrong `e` bits only changes which
//! message of each pair it holds: its seeds are then those of choices
//! `Delta_B ^ err`, exactly as if it had chosen those bits in a direct base
//! OT, which a malicious base-OT receiver may always do; its keys then do
//! not match the `Delta_B` it uses, so the KOS15 check it runs on `A`'s
//! next extension fails and it aborts (`B` only hurts itself; tested). `A`
//! as KOS15 sender chooses nothing but its coin share; as a random-OT
//! sender it knows both messages of every pair, as any base-OT sender does.

use super::{expect_len, AuthError, KAPPA};
use crate::block::{pack_bits, random_bits, unpack_bits, Block};
use crate::hash::{Domain, Tccr};
use zeroize::Zeroizing;

/// `B`'s derandomization message: bit `j` is `c_j ^ Delta_B[j]`, 16 bytes.
/// Every byte string of that length is a valid message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapMsg(pub [u8; 16]);

impl SwapMsg {
    /// The message's length on the wire.
    pub const LEN: usize = KAPPA / 8;

    /// Parses the message.
    pub fn from_bytes(bytes: &[u8]) -> Result<SwapMsg, AuthError> {
        expect_len("base-OT bootstrap swap bits", bytes, Self::LEN)?;
        Ok(SwapMsg(bytes.try_into().expect("length checked")))
    }

    fn bits(&self) -> Vec<bool> {
        unpack_bits(&self.0, KAPPA)
    }
}

/// The uniformly random choices `c_j` of `B`'s 128 bootstrap COTs.
pub fn choices() -> Zeroizing<Vec<bool>> {
    Zeroizing::new(random_bits(KAPPA))
}

fn key_bits(delta: Block) -> impl Iterator<Item = bool> {
    (0..KAPPA).map(move |j| (delta.0 >> j) & 1 == 1)
}

/// `B`'s swap bits: its choices `c_j` padded by the bits of `delta`, its
/// global key. They depend on nothing else, so `B` may send them first.
///
/// # Panics
/// Unless there are exactly 128 choices (a caller bug).
pub fn swap_msg(choices: &[bool], delta: Block) -> SwapMsg {
    assert_eq!(choices.len(), KAPPA, "128 bootstrap OTs");
    let e = pack_bits(choices.iter().zip(key_bits(delta)).map(|(&c, d)| c ^ d));
    SwapMsg(e.try_into().expect("128 bits"))
}

/// `B`'s side: from its outputs `t_j` of the COTs with choices `c_j`, the
/// base-OT outputs of its own extension, the seeds for the bits of the key
/// its [`swap_msg`] named.
///
/// # Panics
/// Unless there are exactly 128 outputs (a caller bug).
pub fn chosen_seeds(t: &[Block]) -> Zeroizing<Vec<Block>> {
    assert_eq!(t.len(), KAPPA, "128 bootstrap OTs");
    let mut seeds = Zeroizing::new(vec![Block::ZERO; KAPPA]);
    Tccr::new().hash_many_in(Domain::BaseOtBootstrap, t, &mut seeds, 0);
    seeds
}

/// `A`'s side: from its COT outputs `q_j` under its global key `delta` and
/// `B`'s swap bits, the base-OT pairs of `B`'s extension.
///
/// # Panics
/// Unless there are exactly 128 outputs (a caller bug).
pub fn seed_pairs(q: &[Block], delta: Block, swap: &SwapMsg) -> Zeroizing<Vec<[Block; 2]>> {
    assert_eq!(q.len(), KAPPA, "128 bootstrap OTs");
    let h = Tccr::new();
    let mut zero = Zeroizing::new(vec![Block::ZERO; KAPPA]);
    h.hash_many_in(Domain::BaseOtBootstrap, q, &mut zero, 0);
    let shifted = Zeroizing::new(q.iter().map(|&x| x ^ delta).collect::<Vec<_>>());
    let mut one = Zeroizing::new(vec![Block::ZERO; KAPPA]);
    h.hash_many_in(Domain::BaseOtBootstrap, &shifted, &mut one, 0);
    Zeroizing::new(
        zero.iter()
            .zip(one.iter())
            .zip(swap.bits())
            .map(|((&m0, &m1), e)| if e { [m1, m0] } else { [m0, m1] })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::auth_bit::GlobalKey;
    use super::super::in_process::{base_ots, BlockPair};
    use super::super::kos::{KosReceiver, KosSender};
    use super::super::{Check, Role};
    use super::*;

    /// One extension of `A`'s KOS15 instance; `flip` may change a bit of
    /// the matrix (column, OT) as a cheating `B` would.
    fn extend(
        tx: &mut KosSender,
        rx: &mut KosReceiver,
        choices: &[bool],
        flip: Option<(usize, usize)>,
    ) -> Result<BlockPair, AuthError> {
        let n = choices.len();
        let (msg, pending) = rx.extend(choices);
        let mut bytes = msg.to_bytes();
        if let Some((j, i)) = flip {
            let ots = super::super::kos::extended_len(n);
            let block = j * (ots / 128) + i / 128;
            bytes[16 * block + (i % 128) / 8] ^= 1 << (i % 8);
        }
        let msg = super::super::kos::ExtendMsg::from_bytes(&bytes, n)?;
        let (challenge, waiting) = tx.receive(&msg, n)?;
        let (check, t) = pending.respond(&challenge);
        Ok((waiting.finish(&check)?, t))
    }

    /// Both parties' setup, one base OT only: `A`'s extension, the
    /// bootstrap with `B`'s swap bits tampered by `tamper`, `B`'s extension.
    struct Setup {
        delta_a: GlobalKey,
        delta_b: GlobalKey,
        /// `A`'s extension: `A` sends, `B` receives.
        a_tx: KosSender,
        b_rx: KosReceiver,
        /// `B`'s extension: `B` sends, `A` receives.
        b_tx: KosSender,
        a_rx: KosReceiver,
    }

    fn setup(tamper: impl FnOnce(&mut SwapMsg)) -> Setup {
        let delta_a = GlobalKey::random(Role::A);
        let delta_b = GlobalKey::random(Role::B);
        let (chosen, pairs) = base_ots(delta_a.block());
        let mut a_tx = KosSender::new(delta_a.block(), &chosen);
        let mut b_rx = KosReceiver::new(&pairs);
        let c = choices();
        let (q, t) = extend(&mut a_tx, &mut b_rx, &c, None).unwrap();
        let mut swap = swap_msg(&c, delta_b.block());
        tamper(&mut swap);
        let seeds = chosen_seeds(&t);
        let swap = SwapMsg::from_bytes(&swap.0).unwrap();
        let pairs = seed_pairs(&q, delta_a.block(), &swap);
        Setup {
            b_tx: KosSender::new(delta_b.block(), &seeds),
            a_rx: KosReceiver::new(&pairs),
            delta_a,
            delta_b,
            a_tx,
            b_rx,
        }
    }

    #[test]
    fn the_bootstrapped_extension_gives_correlated_ots_under_delta_b() {
        let mut s = setup(|_| {});
        for n in [1, 300, 2000] {
            let x = random_bits(n);
            let (q, t) = extend(&mut s.b_tx, &mut s.a_rx, &x, None).unwrap();
            for i in 0..n {
                assert_eq!(t[i], q[i] ^ (s.delta_b.block() & Block::mask(x[i])), "{i}");
            }
        }
        // And the first extension still works after the bootstrap.
        let x = random_bits(500);
        let (q, t) = extend(&mut s.a_tx, &mut s.b_rx, &x, None).unwrap();
        for i in 0..500 {
            assert_eq!(t[i], q[i] ^ (s.delta_a.block() & Block::mask(x[i])));
        }
    }

    #[test]
    fn the_pairs_are_the_base_ots_of_delta_b_and_differ_from_the_cots() {
        let delta_a = GlobalKey::random(Role::A);
        let delta_b = GlobalKey::random(Role::B);
        let (chosen, pairs) = base_ots(delta_a.block());
        let mut tx = KosSender::new(delta_a.block(), &chosen);
        let mut rx = KosReceiver::new(&pairs);
        let c = choices();
        let (q, t) = extend(&mut tx, &mut rx, &c, None).unwrap();
        let swap = swap_msg(&c, delta_b.block());
        let seeds = chosen_seeds(&t);
        let pairs = seed_pairs(&q, delta_a.block(), &swap);
        for (j, d) in key_bits(delta_b.block()).enumerate() {
            assert_eq!(seeds[j], pairs[j][usize::from(d)], "{j}");
            assert_ne!(pairs[j][0], pairs[j][1]);
            // Hashed: no raw COT value is handed on.
            assert!(!q.contains(&pairs[j][0]) && !t.contains(&seeds[j]));
        }
        // The swap bits are the choices padded by Delta_B's bits.
        let e = swap.bits();
        for (j, d) in key_bits(delta_b.block()).enumerate() {
            assert_eq!(e[j], c[j] ^ d);
        }
    }

    #[test]
    fn inconsistent_columns_in_the_bootstrap_are_caught() {
        // Bit 0 of Delta_A is always 1, so a flip in column 0 changes `q_i`.
        let delta_a = GlobalKey::random(Role::A);
        let (chosen, pairs) = base_ots(delta_a.block());
        let mut tx = KosSender::new(delta_a.block(), &chosen);
        let mut rx = KosReceiver::new(&pairs);
        let err = extend(&mut tx, &mut rx, &choices(), Some((0, 5))).err();
        assert_eq!(err, Some(AuthError::CheckFailed(Check::KosConsistency)));
    }

    #[test]
    fn wrong_swap_bits_only_make_b_abort_its_own_check() {
        // B flips swap bit 7: its seed 7 is now the other message, so its
        // keys no longer match Delta_B and its own KOS15 check of A's
        // honest extension fails. A learns nothing and is not at fault.
        let mut s = setup(|m| m.0[0] ^= 0x80);
        let err = extend(&mut s.b_tx, &mut s.a_rx, &random_bits(100), None).err();
        assert_eq!(err, Some(AuthError::CheckFailed(Check::KosConsistency)));
    }

    #[test]
    fn malformed_swap_messages_are_refused() {
        assert!(SwapMsg::from_bytes(&[0; 15]).is_err());
        assert!(SwapMsg::from_bytes(&[0; 17]).is_err());
        assert_eq!(SwapMsg::from_bytes(&[7; 16]).unwrap().0, [7; 16]);
    }
}

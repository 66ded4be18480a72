//! The published cryptographic circuits against independent implementations
//! (the RustCrypto crates) on random keys, blocks and chaining states.
//!
//! Bristol Fashion files read lsb0 (the value is the usual big-endian hex
//! string); the old-format crypto files number bits msb0 (wire 0 is the top
//! bit of byte 0), which `load_msb0` turns into the same convention.

mod common;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use common::{bits_be, bytes_be};
use rand::RngExt;
use yao::compiler::Circuit;

const ROUNDS: usize = 100;

fn aes_encrypt(key: &[u8], block: [u8; 16]) -> [u8; 16] {
    let mut b = aes::Block::from(block);
    match key.len() {
        16 => aes::Aes128::new_from_slice(key)
            .unwrap()
            .encrypt_block(&mut b),
        24 => aes::Aes192::new_from_slice(key)
            .unwrap()
            .encrypt_block(&mut b),
        32 => aes::Aes256::new_from_slice(key)
            .unwrap()
            .encrypt_block(&mut b),
        n => panic!("no AES with a {n}-byte key"),
    }
    b.into()
}

fn random_bytes<const N: usize>(rng: &mut impl rand::Rng) -> [u8; N] {
    let mut b = [0u8; N];
    rng.fill(&mut b[..]);
    b
}

/// `circuit(first, second)` with byte strings in and out.
fn run_bytes(c: &Circuit, inputs: &[&[u8]]) -> Vec<u8> {
    let bits: Vec<Vec<bool>> = inputs.iter().map(|b| bits_be(b)).collect();
    bytes_be(&common::run(c, &bits)[0])
}

#[test]
fn aes_fashion_circuits_match_the_aes_crate() {
    let mut rng = common::rng();
    for (file, key_len) in [
        ("aes_128.txt", 16),
        ("aes_192.txt", 24),
        ("aes_256.txt", 32),
    ] {
        for dir in ["bristol", "bristol/mand"] {
            let Some(c) = common::load(&format!("{dir}/{file}")) else {
                return;
            };
            for _ in 0..ROUNDS {
                let key: Vec<u8> = (0..key_len).map(|_| rng.random()).collect();
                let block: [u8; 16] = random_bytes(&mut rng);
                assert_eq!(
                    run_bytes(&c, &[&key, &block]),
                    aes_encrypt(&key, block),
                    "{dir}/{file}"
                );
            }
        }
    }
}

/// The old-format AES takes the plaintext first, then the key, msb0. The
/// `mand/` copy is in Bristol Fashion but keeps the old bit order.
#[test]
fn aes_non_expanded_matches_the_aes_crate() {
    let mut rng = common::rng();
    for rel in [
        "bristol-old/AES-non-expanded.txt",
        "bristol/mand/AES-non-expanded.txt",
    ] {
        let Some(c) = common::load_msb0(rel) else {
            return;
        };
        for _ in 0..ROUNDS {
            let (key, block): ([u8; 16], [u8; 16]) =
                (random_bytes(&mut rng), random_bytes(&mut rng));
            assert_eq!(
                run_bytes(&c, &[&block, &key]),
                aes_encrypt(&key, block),
                "{rel}"
            );
        }
    }
}

/// The AES S-box from its definition (inverse in GF(2^8), then the affine
/// map), for the key schedule below.
fn sbox(x: u8) -> u8 {
    let mul = |mut a: u8, mut b: u8| {
        let mut p = 0u8;
        while b != 0 {
            if b & 1 == 1 {
                p ^= a;
            }
            a = (a << 1) ^ if a & 0x80 != 0 { 0x1b } else { 0 };
            b >>= 1;
        }
        p
    };
    // x^254 = x^-1 (and 0 for 0).
    let mut inv = 1u8;
    for _ in 0..254 {
        inv = mul(inv, x);
    }
    inv ^ inv.rotate_left(1) ^ inv.rotate_left(2) ^ inv.rotate_left(3) ^ inv.rotate_left(4) ^ 0x63
}

/// The AES-128 key schedule of FIPS-197 section 5.2: 11 round keys, 176 bytes.
fn aes128_expand(key: [u8; 16]) -> Vec<u8> {
    let mut w: Vec<[u8; 4]> = key.chunks(4).map(|c| c.try_into().unwrap()).collect();
    let mut rcon = 1u8;
    for i in 4..44 {
        let mut t = w[i - 1];
        if i % 4 == 0 {
            t = [sbox(t[1]) ^ rcon, sbox(t[2]), sbox(t[3]), sbox(t[0])];
            rcon = (rcon << 1) ^ if rcon & 0x80 != 0 { 0x1b } else { 0 };
        }
        w.push(std::array::from_fn(|j| w[i - 4][j] ^ t[j]));
    }
    w.concat()
}

#[test]
fn aes_key_schedule_helper_matches_fips_197_appendix_a1() {
    let expanded = aes128_expand(
        common::unhex("2b7e151628aed2a6abf7158809cf4f3c")
            .try_into()
            .unwrap(),
    );
    assert_eq!(
        common::hex(&expanded[160..]),
        "d014f9a8c9ee2589e13f0cc8b6630ca6"
    );
}

/// The old-format AES with the key schedule done outside: plaintext, then
/// the 11 round keys in order (176 bytes), msb0.
#[test]
fn aes_expanded_matches_the_aes_crate() {
    let Some(c) = common::load_msb0("bristol-old/AES-expanded.txt") else {
        return;
    };
    let mut rng = common::rng();
    for _ in 0..ROUNDS {
        let (key, block): ([u8; 16], [u8; 16]) = (random_bytes(&mut rng), random_bytes(&mut rng));
        assert_eq!(
            run_bytes(&c, &[&block, &aes128_expand(key)]),
            aes_encrypt(&key, block)
        );
    }
}

fn des_encrypt(key: [u8; 8], block: [u8; 8]) -> [u8; 8] {
    let mut b = des::cipher::Block::<des::Des>::from(block);
    des::Des::new_from_slice(&key)
        .unwrap()
        .encrypt_block(&mut b);
    b.into()
}

/// The old-format DES takes the plaintext first, then the key, msb0.
#[test]
fn des_non_expanded_matches_the_des_crate() {
    let Some(c) = common::load_msb0("bristol-old/DES-non-expanded.txt") else {
        return;
    };
    let mut rng = common::rng();
    let textbook = 0x0123_4567_89ab_cdefu64.to_be_bytes();
    assert_eq!(
        run_bytes(&c, &[&textbook, &DES_TEXTBOOK_KEY]),
        0x85e8_1354_0f0a_b405u64.to_be_bytes()
    );
    // Random keys: parity bits are ignored by both.
    for _ in 0..ROUNDS {
        let (key, block): ([u8; 8], [u8; 8]) = (random_bytes(&mut rng), random_bytes(&mut rng));
        assert_eq!(run_bytes(&c, &[&block, &key]), des_encrypt(key, block));
    }
}

/// The key of the classic worked DES example.
const DES_TEXTBOOK_KEY: [u8; 8] = 0x1334_5779_9bbc_dff1u64.to_be_bytes();

/// The DES key schedule of FIPS 46-3 (PC-1, left rotations, PC-2): 16
/// 48-bit round keys. Tables number bits from 1 = the most significant.
fn des_round_keys(key: [u8; 8]) -> [u64; 16] {
    const PC1: [u8; 56] = [
        57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3,
        60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45,
        37, 29, 21, 13, 5, 28, 20, 12, 4,
    ];
    const PC2: [u8; 48] = [
        14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41,
        52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
    ];
    const SHIFTS: [u32; 16] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
    let permute = |input: u64, in_bits: u32, table: &[u8]| {
        table.iter().fold(0u64, |acc, &p| {
            (acc << 1) | ((input >> (in_bits - p as u32)) & 1)
        })
    };
    let cd = permute(u64::from_be_bytes(key), 64, &PC1);
    let (mut c, mut d) = ((cd >> 28) as u32, (cd & 0x0fff_ffff) as u32);
    let rot = |x: u32, n: u32| ((x << n) | (x >> (28 - n))) & 0x0fff_ffff;
    std::array::from_fn(|i| {
        c = rot(c, SHIFTS[i]);
        d = rot(d, SHIFTS[i]);
        permute(((c as u64) << 28) | d as u64, 56, &PC2)
    })
}

#[test]
fn des_key_schedule_helper_matches_the_textbook_example() {
    let keys = des_round_keys(DES_TEXTBOOK_KEY);
    assert_eq!(
        keys[0],
        0b000110_110000_001011_101111_111111_000111_000001_110010
    );
    assert_eq!(
        keys[15],
        0b110010_110011_110110_001011_000011_100001_011111_110101
    );
}

/// The old-format DES with the key schedule done outside: plaintext, then
/// the 16 round keys of 48 bits in order, msb0.
#[test]
fn des_expanded_matches_the_des_crate() {
    let Some(c) = common::load_msb0("bristol-old/DES-expanded.txt") else {
        return;
    };
    let mut rng = common::rng();
    for _ in 0..ROUNDS {
        let (key, block): ([u8; 8], [u8; 8]) = (random_bytes(&mut rng), random_bytes(&mut rng));
        let mut schedule = Vec::with_capacity(96);
        // 16 keys of 48 bits = 96 bytes, most significant first.
        let mut acc: u128 = 0;
        let mut held = 0;
        for k in des_round_keys(key) {
            acc = (acc << 48) | k as u128;
            held += 48;
            while held >= 8 {
                held -= 8;
                schedule.push((acc >> held) as u8);
            }
        }
        assert_eq!(run_bytes(&c, &[&block, &schedule]), des_encrypt(key, block));
    }
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const SHA1_IV: [u32; 5] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
const MD5_IV: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

fn be_words(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// `sha256.txt` is the bare compression function: block and chaining state
/// in, next state out (feed-forward included), checked on random states.
#[test]
fn sha256_fashion_matches_compress256_on_random_states() {
    let mut rng = common::rng();
    for rel in ["bristol/sha256.txt", "bristol/mand/sha256.txt"] {
        let Some(c) = common::load(rel) else { return };
        for _ in 0..ROUNDS {
            let block: [u8; 64] = random_bytes(&mut rng);
            let state: [u32; 8] = std::array::from_fn(|_| rng.random());
            let mut want = state;
            sha2::block_api::compress256(&mut want, &[block]);
            assert_eq!(
                run_bytes(&c, &[&block, &be_words(&state)]),
                be_words(&want),
                "{rel}"
            );
        }
    }
}

/// The old-format hash circuits take one 512-bit block (msb0) and return
/// the compression of the standard IV with it, feed-forward included: the
/// digest of a one-block message, bytes in digest order.
#[test]
fn old_hash_circuits_compress_the_iv_with_one_block() {
    let mut rng = common::rng();
    let (Some(sha256), Some(sha1), Some(md5)) = (
        common::load_msb0("bristol-old/sha-256.txt"),
        common::load_msb0("bristol-old/sha-1.txt"),
        common::load_msb0("bristol-old/md5.txt"),
    ) else {
        return;
    };
    for _ in 0..ROUNDS {
        let block: [u8; 64] = random_bytes(&mut rng);

        let mut s = SHA256_IV;
        sha2::block_api::compress256(&mut s, &[block]);
        assert_eq!(run_bytes(&sha256, &[&block]), be_words(&s), "sha-256");

        let mut s = SHA1_IV;
        sha1::block_api::compress(&mut s, &[block]);
        assert_eq!(run_bytes(&sha1, &[&block]), be_words(&s), "sha-1");

        let mut s = MD5_IV;
        md5::block_api::compress(&mut s, &[block]);
        let digest: Vec<u8> = s.iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(run_bytes(&md5, &[&block]), digest, "md5");
    }
}

/// The same circuits give the textbook digests of "abc".
#[test]
fn old_hash_circuits_digest_abc() {
    let mut block = [0u8; 64];
    block[..4].copy_from_slice(b"abc\x80");
    let (Some(sha256), Some(sha1), Some(md5)) = (
        common::load_msb0("bristol-old/sha-256.txt"),
        common::load_msb0("bristol-old/sha-1.txt"),
        common::load_msb0("bristol-old/md5.txt"),
    ) else {
        return;
    };
    let mut be = block;
    be[63] = 24; // bit length, big-endian
    let mut le = block;
    le[56] = 24; // bit length, little-endian (MD5)
    assert_eq!(
        common::hex(&run_bytes(&sha256, &[&be])),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        common::hex(&run_bytes(&sha1, &[&be])),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        common::hex(&run_bytes(&md5, &[&le])),
        "900150983cd24fb0d6963f7d28e17f72"
    );
}

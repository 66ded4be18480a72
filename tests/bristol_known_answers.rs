//! Published test vectors through the published circuits: FIPS-197 appendix
//! C for AES, FIPS 180-2 examples for SHA-256. Every vector is checked on the
//! plain file and on its `mand/` variant.

mod common;

use common::{bits_be, bytes_be, hex, unhex};
use yao::compiler::Circuit;

fn variants(file: &str) -> Vec<(String, Circuit)> {
    let mut out = Vec::new();
    for dir in ["bristol", "bristol/mand"] {
        let rel = format!("{dir}/{file}");
        if let Some(c) = common::load(&rel) {
            out.push((rel, c));
        }
    }
    out
}

/// Key first, then plaintext; both as big-endian hex strings.
fn aes(c: &Circuit, key: &str, plaintext: &str) -> String {
    let out = common::run(c, &[bits_be(&unhex(key)), bits_be(&unhex(plaintext))]);
    hex(&bytes_be(&out[0]))
}

#[test]
fn aes_fips_197_appendix_c() {
    let plaintext = "00112233445566778899aabbccddeeff";
    let vectors = [
        (
            "aes_128.txt",
            "000102030405060708090a0b0c0d0e0f",
            "69c4e0d86a7b0430d8cdb78070b4c55a",
        ),
        (
            "aes_192.txt",
            "000102030405060708090a0b0c0d0e0f1011121314151617",
            "dda97ca4864cdfe06eaf70a0ec0d7191",
        ),
        (
            "aes_256.txt",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "8ea2b7ca516745bfeafc49904b496089",
        ),
    ];
    for (file, key, expected) in vectors {
        for (rel, c) in variants(file) {
            assert_eq!(aes(&c, key, plaintext), expected, "{rel}");
        }
    }
}

#[test]
fn aes_128_fips_197_appendix_b() {
    for (rel, c) in variants("aes_128.txt") {
        let out = aes(
            &c,
            "2b7e151628aed2a6abf7158809cf4f3c",
            "3243f6a8885a308d313198a2e0370734",
        );
        assert_eq!(out, "3925841d02dc09fbdc118597196a0b32", "{rel}");
    }
}

const SHA256_IV: &str = "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";

/// One compression: block and chaining state as big-endian hex.
fn sha256_compress(c: &Circuit, block: &str, state: &str) -> String {
    let out = common::run(c, &[bits_be(&unhex(block)), bits_be(&unhex(state))]);
    hex(&bytes_be(&out[0]))
}

#[test]
fn sha256_abc() {
    let block = "6162638000000000000000000000000000000000000000000000000000000000\
                 0000000000000000000000000000000000000000000000000000000000000018";
    for (rel, c) in variants("sha256.txt") {
        assert_eq!(
            sha256_compress(&c, block, SHA256_IV),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "{rel}"
        );
    }
}

/// The 448-bit FIPS 180-2 message spans two blocks, so the chaining input is
/// exercised with a state other than the IV.
#[test]
fn sha256_two_blocks() {
    let message = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    let mut padded = message.to_vec();
    padded.push(0x80);
    padded.resize(120, 0);
    padded.extend_from_slice(&((message.len() as u64) * 8).to_be_bytes());
    for (rel, c) in variants("sha256.txt") {
        let mut state = SHA256_IV.to_string();
        for block in padded.chunks(64) {
            state = sha256_compress(&c, &hex(block), &state);
        }
        assert_eq!(
            state, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            "{rel}"
        );
    }
}

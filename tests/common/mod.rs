//! Shared helpers for the tests that read the published Bristol circuits.
//!
//! The circuits live outside the repository (see `../shared/circuits/README.md`);
//! they are found through `YAO_SHARED_CIRCUITS`, by default the `shared/circuits`
//! folder next to the workspace. When they are absent a test says so and passes,
//! unless `YAO_REQUIRE_SHARED=1` asks for them to be there.

#![allow(dead_code)] // Each test binary uses a different subset.

use num_bigint::BigUint;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::PathBuf;
use yao::compiler::bristol::{self, BitOrder, Options};
use yao::compiler::Circuit;

/// The folder holding `bristol/`, `bristol/mand/` and `bristol-old/`, or
/// `None` (after saying so) when it is absent and not required.
pub fn shared_circuits() -> Option<PathBuf> {
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/circuits"))
        });
    if dir.join("bristol").is_dir() {
        return Some(dir);
    }
    if std::env::var("YAO_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!(
            "shared circuits not found at {} and YAO_REQUIRE_SHARED=1",
            dir.display()
        );
    }
    println!("skipping: shared circuits not found at {}", dir.display());
    None
}

/// Imports `rel` (e.g. `bristol/aes_128.txt`) with `options`; `None` when
/// the shared circuits are absent. A file that is missing or does not import
/// fails the test.
pub fn load_with(rel: &str, options: &Options) -> Option<Circuit> {
    let path = shared_circuits()?.join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    Some(bristol::parse(&name, &text, options).unwrap_or_else(|e| panic!("{rel}: {e:?}")))
}

/// Imports `rel` with the default options (format detected, lsb0).
pub fn load(rel: &str) -> Option<Circuit> {
    load_with(rel, &Options::default())
}

/// Imports `rel` with wire 0 of each group as the most significant bit.
pub fn load_msb0(rel: &str) -> Option<Circuit> {
    load_with(
        rel,
        &Options {
            bit_order: BitOrder::Msb0,
            ..Options::default()
        },
    )
}

/// Evaluates in the clear; inputs and outputs are little-endian bit vectors.
pub fn run(c: &Circuit, inputs: &[Vec<bool>]) -> Vec<Vec<bool>> {
    c.eval_plain(inputs)
        .unwrap_or_else(|e| panic!("{}: {e}", c.name))
}

/// A deterministic generator, so that a failure can be replayed; set
/// `YAO_TEST_SEED` to explore other inputs.
pub fn rng() -> StdRng {
    let seed = std::env::var("YAO_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_ba5e);
    StdRng::seed_from_u64(seed)
}

/// The low `width` bits of `v`, least significant first.
pub fn bits(v: u64, width: usize) -> Vec<bool> {
    (0..width).map(|k| k < 64 && (v >> k) & 1 == 1).collect()
}

/// The value of up to 64 bits, least significant first.
pub fn value(bits: &[bool]) -> u64 {
    assert!(bits.len() <= 64, "{} bits do not fit in a u64", bits.len());
    bits.iter()
        .enumerate()
        .fold(0, |acc, (k, &b)| acc | (b as u64) << k)
}

/// The bits of the big-endian byte string `bytes` read as one integer, least
/// significant first: the last byte's bit 0 comes first.
pub fn bits_be(bytes: &[u8]) -> Vec<bool> {
    let n = bytes.len() * 8;
    (0..n)
        .map(|k| (bytes[bytes.len() - 1 - k / 8] >> (k % 8)) & 1 == 1)
        .collect()
}

/// The inverse of [`bits_be`]: the big-endian bytes of the integer `bits`.
pub fn bytes_be(bits: &[bool]) -> Vec<u8> {
    assert_eq!(bits.len() % 8, 0);
    let n = bits.len() / 8;
    (0..n)
        .map(|i| (0..8).fold(0u8, |acc, j| acc | (bits[(n - 1 - i) * 8 + j] as u8) << j))
        .collect()
}

/// The low `width` bits of a big integer, least significant first.
pub fn bits_big(v: &BigUint, width: usize) -> Vec<bool> {
    (0..width as u64).map(|k| v.bit(k)).collect()
}

/// The big integer of `bits`, least significant first.
pub fn value_big(bits: &[bool]) -> BigUint {
    let mut v = BigUint::default();
    for (k, &b) in bits.iter().enumerate() {
        v.set_bit(k as u64, b);
    }
    v
}

/// Lowercase hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string (test vectors).
pub fn unhex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() % 2, 0, "odd hex `{s}`");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

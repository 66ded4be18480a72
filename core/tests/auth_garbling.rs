//! Authenticated garbling (`yao_core::auth::online`, both parties in one
//! process through `yao_core::auth::online_harness`, every message through
//! its wire encoding) on published and DSL circuits against their known
//! answers and `Circuit::eval_plain`. The cheating parties and random
//! circuits are tested next to the code (`auth::online_tests`); these
//! tests read files, which the core itself never does.

use yao_core::auth::online_harness::{Cheat, Session};
use yao_core::block::random_bits;
use yao_core::ir::{Circuit, Party};

fn shared_circuit(rel: &str) -> Option<Circuit> {
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/circuits")
        });
    let path = dir.join(rel);
    if !path.is_file() {
        assert!(
            std::env::var("YAO_REQUIRE_SHARED").as_deref() != Ok("1"),
            "YAO_REQUIRE_SHARED=1 but {} is absent",
            path.display()
        );
        eprintln!("skipping: {} not found", path.display());
        return None;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    Some(yao_compiler::bristol::parse("aes_128", &text, &Default::default()).unwrap())
}

/// The big-endian bits of `hex`, least significant first (Bristol order).
fn bits_be(hex: &str) -> Vec<bool> {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    (0..8 * bytes.len())
        .map(|k| (bytes[bytes.len() - 1 - k / 8] >> (k % 8)) & 1 == 1)
        .collect()
}

/// FIPS-197 appendix B through the published Bristol AES-128, garbler's
/// key, evaluator's plaintext.
#[test]
fn aes_128_known_answer() {
    let Some(c) = shared_circuit("bristol/aes_128.txt") else {
        return;
    };
    let key = bits_be("2b7e151628aed2a6abf7158809cf4f3c");
    let plaintext = bits_be("3243f6a8885a308d313198a2e0370734");
    let mut s = Session::new();
    let (a, b) = s.run(&c, &key, &plaintext, Cheat::None).unwrap();
    let want = bits_be("3925841d02dc09fbdc118597196a0b32");
    assert_eq!(a, want);
    assert_eq!(b, want);
    // 8 blocks per AND, plus input labels and openings.
    let ands = c.stats().and as usize;
    assert!(ands > 6000);
    assert!(s.online_bytes > 128 * ands, "{}", s.online_bytes);
    assert!(s.online_bytes < 130 * ands, "{}", s.online_bytes);
}

#[test]
fn dsl_circuits_match_eval_plain() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../circuits");
    let mut s = Session::new();
    for file in [
        "millionaires.yao",
        "add64.yao",
        "hamming.yao",
        "auction.yao",
    ] {
        let c = yao_compiler::lang::compile_file(&dir.join(file)).unwrap();
        for _ in 0..2 {
            let width = |p| -> usize { c.inputs_of(p).map(|i| i.wires.len()).sum() };
            let (x, y) = (
                random_bits(width(Party::Garbler)),
                random_bits(width(Party::Evaluator)),
            );
            let (mut gi, mut ei) = (x.iter(), y.iter());
            let groups: Vec<Vec<bool>> = c
                .inputs
                .iter()
                .map(|i| {
                    let it: &mut dyn Iterator<Item = &bool> = match i.party {
                        Party::Garbler => &mut gi,
                        Party::Evaluator => &mut ei,
                    };
                    it.take(i.wires.len()).copied().collect()
                })
                .collect();
            let want = c.eval_plain(&groups).unwrap().concat();
            let (a, b) = s.run(&c, &x, &y, Cheat::None).unwrap();
            assert_eq!(a, want, "{file}: garbler");
            assert_eq!(b, want, "{file}: evaluator");
        }
    }
}

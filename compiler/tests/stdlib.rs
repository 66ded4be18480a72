//! The standard library (`use std::NAME;`): every function checked against a
//! Rust reference by evaluating the compiled circuit in the clear, with the
//! AND counts of the sorting network and argmax pinned.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yao_compiler::ir::Circuit;
use yao_compiler::lang::{compile_file, compile_str, compile_str_in};

fn compile(src: &str) -> Circuit {
    compile_str("test.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

fn ands(c: &Circuit) -> u64 {
    c.stats().and as u64
}

/// Bits of `vals`, each `w` bits wide, least significant first.
fn bits_of(vals: &[u64], w: usize) -> Vec<bool> {
    vals.iter()
        .flat_map(|&v| (0..w).map(move |k| (v >> k) & 1 == 1))
        .collect()
}

/// Evaluates `c` on input groups of `w`-bit elements; returns each output
/// group cut into `w_out`-bit elements.
fn run(c: &Circuit, inputs: &[(&[u64], usize)], w_out: usize) -> Vec<Vec<u64>> {
    let bits: Vec<Vec<bool>> = inputs.iter().map(|(v, w)| bits_of(v, *w)).collect();
    c.eval_plain(&bits)
        .unwrap()
        .iter()
        .map(|o| {
            o.chunks(w_out)
                .map(|ch| ch.iter().enumerate().map(|(k, &b)| (b as u64) << k).sum())
                .collect()
        })
        .collect()
}

/// The element types of the library: (name, width, signed).
const TYPES: [(&str, usize, bool); 5] = [
    ("u8", 8, false),
    ("u16", 16, false),
    ("u32", 32, false),
    ("u64", 64, false),
    ("i32", 32, true),
];

fn mask(w: usize) -> u64 {
    if w == 64 {
        u64::MAX
    } else {
        (1 << w) - 1
    }
}

/// The value of `w`-bit pattern `v` as a number, signed or not.
fn value(v: u64, w: usize, signed: bool) -> i128 {
    if signed && (v >> (w - 1)) & 1 == 1 {
        v as i128 - (1i128 << w)
    } else {
        v as i128
    }
}

fn random_elems(rng: &mut StdRng, n: usize, w: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            // Few distinct values half the time, so that ties occur.
            let v: u64 = if rng.random_bool(0.5) {
                rng.random_range(0..4u64)
            } else {
                rng.random()
            };
            // Negative values for the signed type.
            let v = if rng.random_bool(0.3) {
                v.wrapping_neg()
            } else {
                v
            };
            v & mask(w)
        })
        .collect()
}

fn sort_program(t: &str, n: usize) -> String {
    format!(
        "use std::sort;
         circuit t(garbler xs: [{t}; {n}]) -> [{t}; {n}] {{ sort_{t}({n}, xs) }}"
    )
}

#[test]
fn sort_is_correct_on_every_zero_one_input() {
    // The 0-1 principle: a comparator network that sorts every 0/1 input
    // sorts every input.
    for n in 1..=12usize {
        let c = compile(&sort_program("u8", n));
        for m in 0u64..(1 << n) {
            let xs: Vec<u64> = (0..n).map(|k| (m >> k) & 1).collect();
            let mut want = xs.clone();
            want.sort();
            assert_eq!(run(&c, &[(&xs, 8)], 8)[0], want, "n = {n}, m = {m:b}");
        }
    }
}

#[test]
fn sort_matches_rust_on_random_inputs_of_every_type() {
    let mut rng = StdRng::seed_from_u64(20);
    for (t, w, signed) in TYPES {
        for n in [1usize, 2, 3, 5, 8, 13, 16, 17] {
            let c = compile(&sort_program(t, n));
            for _ in 0..20 {
                let xs = random_elems(&mut rng, n, w);
                let mut want = xs.clone();
                want.sort_by_key(|&v| value(v, w, signed));
                assert_eq!(run(&c, &[(&xs, w)], w)[0], want, "{t}, n = {n}");
            }
        }
    }
}

#[test]
fn sort_network_costs_are_pinned() {
    // 2w ANDs per comparator: 19 comparators for 8 elements, 63 for 16.
    assert_eq!(ands(&compile(&sort_program("u32", 8))), 19 * 64);
    assert_eq!(ands(&compile(&sort_program("u32", 16))), 63 * 64);
    assert_eq!(ands(&compile(&sort_program("u8", 8))), 19 * 16);
    assert_eq!(ands(&compile(&sort_program("u16", 32))), 191 * 32);
}

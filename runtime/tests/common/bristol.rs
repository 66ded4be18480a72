//! A minimal Bristol Fashion reader for tests and benches only (the project's
//! importer is `yao_compiler::bristol`; this stays private and small so it can
//! be swapped for it). Input group `k` goes to the garbler if `k` is even, to
//! the evaluator if odd. Panics on malformed files: test data only.
#![allow(dead_code)]

use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};

pub fn parse(name: &str, text: &str) -> Circuit {
    let mut tok = text.split_whitespace();
    let mut num = || -> u32 { tok.next().expect("truncated").parse().expect("number") };
    let n_gates = num();
    let n_wires = num();
    let niv = num();
    let in_widths: Vec<u32> = (0..niv).map(|_| num()).collect();
    let nov = num();
    let out_widths: Vec<u32> = (0..nov).map(|_| num()).collect();

    // Bristol wire -> IR wire (EQW aliases instead of copying).
    let mut map = vec![u32::MAX; n_wires as usize];
    let mut next = 0u32;
    let mut inputs = Vec::new();
    for (k, &w) in in_widths.iter().enumerate() {
        let wires: Vec<u32> = (next..next + w).collect();
        for &x in &wires {
            map[x as usize] = x;
        }
        next += w;
        inputs.push(Input {
            name: format!("in{k}"),
            party: if k % 2 == 0 {
                Party::Garbler
            } else {
                Party::Evaluator
            },
            ty: ValueType::UInt(w),
            wires,
        });
    }
    let mut gates = Vec::with_capacity(n_gates as usize);
    let mut fresh = next;
    let lines: Vec<&str> = text
        .lines()
        .skip(3)
        .filter(|l| !l.trim().is_empty())
        .collect();
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        let nin: usize = f[0].parse().unwrap();
        let nout: usize = f[1].parse().unwrap();
        let args: Vec<u32> = f[2..2 + nin + nout]
            .iter()
            .map(|x| x.parse().unwrap())
            .collect();
        let op = f[2 + nin + nout];
        let m = |w: u32, map: &Vec<u32>| {
            let v = map[w as usize];
            assert!(v != u32::MAX, "wire {w} read before written");
            v
        };
        let mut out = |w: u32, map: &mut Vec<u32>| {
            map[w as usize] = fresh;
            fresh += 1;
            fresh - 1
        };
        match op {
            "XOR" => {
                let (a, b) = (m(args[0], &map), m(args[1], &map));
                gates.push(Gate::Xor {
                    a,
                    b,
                    out: out(args[2], &mut map),
                });
            }
            "AND" => {
                let (a, b) = (m(args[0], &map), m(args[1], &map));
                gates.push(Gate::And {
                    a,
                    b,
                    out: out(args[2], &mut map),
                });
            }
            "INV" | "NOT" => {
                let a = m(args[0], &map);
                gates.push(Gate::Not {
                    a,
                    out: out(args[1], &mut map),
                });
            }
            "EQ" => gates.push(Gate::Const {
                value: args[0] == 1,
                out: out(args[1], &mut map),
            }),
            "EQW" => {
                let a = m(args[0], &map);
                map[args[1] as usize] = a;
            }
            "MAND" => {
                let k = nout;
                for i in 0..k {
                    let (a, b) = (m(args[i], &map), m(args[k + i], &map));
                    gates.push(Gate::And {
                        a,
                        b,
                        out: out(args[2 * k + i], &mut map),
                    });
                }
            }
            other => panic!("unknown gate {other}"),
        }
    }
    let total_out: u32 = out_widths.iter().sum();
    let mut first = n_wires - total_out;
    let mut outputs = Vec::new();
    for (k, &w) in out_widths.iter().enumerate() {
        outputs.push(Output {
            name: format!("out{k}"),
            ty: ValueType::UInt(w),
            wires: (first..first + w).map(|x| map[x as usize]).collect(),
        });
        first += w;
    }
    let c = Circuit {
        name: name.into(),
        num_wires: fresh,
        inputs,
        outputs,
        gates,
    };
    c.validate().expect("valid circuit");
    c
}

/// Bits of a big-endian hex string, least significant bit first.
pub fn hex_bits(hex: &str, width: usize) -> Vec<bool> {
    let digits: Vec<u8> = hex
        .bytes()
        .rev()
        .map(|c| (c as char).to_digit(16).unwrap() as u8)
        .collect();
    (0..width)
        .map(|k| digits.get(k / 4).is_some_and(|d| (d >> (k % 4)) & 1 == 1))
        .collect()
}

pub fn bits_hex(bits: &[bool]) -> String {
    bits.chunks(4)
        .rev()
        .map(|c| {
            let v = c
                .iter()
                .enumerate()
                .fold(0u32, |a, (i, &b)| a | ((b as u32) << i));
            char::from_digit(v, 16).unwrap()
        })
        .collect()
}

/// The shared circuits directory (env YAO_SHARED_CIRCUITS or ../shared/circuits),
/// or None (printing that the test skips) when absent; with
/// YAO_REQUIRE_SHARED=1 absence is a failure.
pub fn shared_dir() -> Option<std::path::PathBuf> {
    let here = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // From the workspace root (benches) or from a member crate (tests).
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let root = here.join("../shared/circuits");
            if root.is_dir() {
                root
            } else {
                here.join("../../shared/circuits")
            }
        });
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("YAO_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("YAO_REQUIRE_SHARED=1 but {} is absent", dir.display());
    }
    eprintln!("skipping: shared circuits not found at {}", dir.display());
    None
}

pub fn load(rel: &str) -> Option<Circuit> {
    let dir = shared_dir()?;
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(parse(rel, &text))
}

//! Writes a Bristol Fashion circuit of `N` chained SHA-256 compressions:
//! `state_{i+1} = compress(block, state_i)`, from the published
//! `sha256.txt` (inputs: a 512-bit block, a 256-bit state; output: the next
//! state). The chained circuit takes the same two inputs and outputs
//! `state_N`. Its live wires stay those of one compression, its gate count
//! grows with `N`: the test circuit for streaming memory (`--stream`).
//!
//! ```sh
//! cargo run --release -p yao-compiler --example chain_sha256 -- \
//!     ../shared/circuits/bristol/sha256.txt 32 /tmp/sha256x32.txt
//! ```
//!
//! The output is written line by line (never held whole), so `N` may make a
//! file larger than memory. Copy `i` numbers its internal wires after copy
//! `i - 1`'s, in the original order, so the last copy's outputs are the last
//! wires of the file, as Bristol Fashion requires.

use std::io::{BufWriter, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, n, output] = &args[..] else {
        return Err("usage: chain_sha256 SHA256.txt N OUT.txt".into());
    };
    let n: u64 = n.parse()?;
    if n == 0 {
        return Err("N must be at least 1".into());
    }
    let text = std::fs::read_to_string(input)?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let nums = |l: Option<&str>| -> Result<Vec<u64>, Box<dyn std::error::Error>> {
        let l = l.ok_or("truncated header")?;
        Ok(l.split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()?)
    };
    let head = nums(lines.next())?;
    let ins = nums(lines.next())?;
    let outs = nums(lines.next())?;
    let (gates, wires) = (head[0], head[1]);
    if ins != [2, 512, 256] || outs != [1, 256] {
        return Err("expected the SHA-256 compression: inputs 512 and 256, output 256".into());
    }
    let body: Vec<&str> = lines.collect();
    let n_in = 768u64;
    let inner = wires - n_in;
    let out_start = wires - 256;
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(output)?);
    writeln!(w, "{} {}", gates * n, n_in + n * inner)?;
    writeln!(w, "2 512 256")?;
    writeln!(w, "1 256\n")?;
    let mut line = String::new();
    for copy in 0..n {
        let base = n_in + copy * inner;
        // Copy `copy`'s wire for original wire `x`.
        let map = |x: u64| -> u64 {
            if x < 512 {
                x
            } else if x < n_in {
                // The state: the caller's state, or the previous copy's output.
                if copy == 0 {
                    x
                } else {
                    n_in + (copy - 1) * inner + (out_start - n_in) + (x - 512)
                }
            } else {
                base + (x - n_in)
            }
        };
        for g in &body {
            let toks: Vec<&str> = g.split_whitespace().collect();
            let nin: usize = toks[0].parse()?;
            let nout: usize = toks[1].parse()?;
            line.clear();
            line.push_str(toks[0]);
            line.push(' ');
            line.push_str(toks[1]);
            for t in &toks[2..2 + nin + nout] {
                line.push(' ');
                line.push_str(&map(t.parse()?).to_string());
            }
            line.push(' ');
            line.push_str(toks[toks.len() - 1]);
            writeln!(w, "{line}")?;
        }
    }
    w.flush()?;
    Ok(())
}

//! `Circuit::validate` and `Circuit::id` against their specification.
//!
//! `validate`: random valid circuits (any wire numbering, spare wires,
//! outputs that are inputs or repeat a wire, types of every kind) pass, and
//! each edit that breaks one invariant gives the error that names it, at
//! the first place it shows: a duplicate group name, a width that does not
//! match the type, a wire out of range (written, read by a gate, read as an
//! output), a wire read before anything writes it (by a gate, by an output),
//! a wire written twice (by two input bits, by a gate after an input or an
//! earlier gate).
//!
//! `id`: pinned to known values; the same after a Bristol export and import,
//! after renumbering the wires and renaming the circuit; different after any
//! change to a gate, an input or an output.

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{RngExt, SeedableRng};
use yao_compiler::bristol::{self, Options};
use yao_compiler::ir::{Circuit, Gate, Input, IrError, Output, Party, ValueType, Wire};

/// A random valid circuit and the order its wires are written in.
struct Sample {
    c: Circuit,
    /// The written wires in order: the input bits group by group, then the
    /// output of each gate.
    written: Vec<Wire>,
    /// Wires nothing writes.
    spare: Vec<Wire>,
    /// How many of `written` are input bits.
    total_in: usize,
}

impl Sample {
    /// Who writes `written[k]`, as `validate` names it.
    fn writer(&self, k: usize) -> String {
        if k >= self.total_in {
            return format!("gate {}", k - self.total_in);
        }
        let w = self.written[k];
        let group = self.c.inputs.iter().find(|i| i.wires.contains(&w));
        format!("input `{}`", group.unwrap().name)
    }
}

/// A type `width` bits wide, of a random kind.
fn random_type(rng: &mut StdRng, width: u32) -> ValueType {
    match rng.random_range(0..5) {
        0 | 1 => ValueType::UInt(width),
        2 => ValueType::SInt(width),
        3 => ValueType::Array(Box::new(ValueType::Bool), width),
        _ if width == 1 => ValueType::Bool,
        _ => ValueType::Tuple(vec![ValueType::Bool, ValueType::UInt(width - 1)]),
    }
}

/// A random valid circuit. With `bristol`, it has what a Bristol file can
/// say: groups named `in0, out0, ...` of unsigned integers.
fn sample(rng: &mut StdRng, bristol: bool) -> Sample {
    let in_widths: Vec<u32> = (0..rng.random_range(1..=3))
        .map(|_| rng.random_range(1..=4))
        .collect();
    let total_in = in_widths.iter().sum::<u32>() as usize;
    let num_gates = rng.random_range(1..=24);
    let spare = rng.random_range(0..=3);
    let n = total_in + num_gates + spare;
    // Logical wire k is `wire[k]`: any numbering is valid.
    let mut wire: Vec<Wire> = (0..n as Wire).collect();
    wire.shuffle(rng);

    let name = |kind: &str, k: usize| match bristol {
        true => format!("{kind}{k}"),
        // Inputs and outputs share names: only names of one kind must differ.
        false if kind == "in" => ["a", "b", "c"][k].to_string(),
        false => ["c", "a", "b"][k].to_string(),
    };
    let ty = |rng: &mut StdRng, width| match bristol {
        true => ValueType::UInt(width),
        false => random_type(rng, width),
    };
    let mut inputs = Vec::new();
    let mut next = 0;
    for (k, &width) in in_widths.iter().enumerate() {
        inputs.push(Input {
            name: name("in", k),
            party: [Party::Garbler, Party::Evaluator][rng.random_range(0..2)],
            ty: ty(rng, width),
            wires: wire[next..next + width as usize].to_vec(),
        });
        next += width as usize;
    }
    let mut gates = Vec::new();
    for i in 0..num_gates {
        let readable = total_in + i;
        let a = wire[rng.random_range(0..readable)];
        let b = wire[rng.random_range(0..readable)];
        let out = wire[readable];
        gates.push(match rng.random_range(0..7) {
            0..=2 => Gate::Xor { a, b, out },
            3 | 4 => Gate::And { a, b, out },
            5 => Gate::Not { a, out },
            _ => Gate::Const {
                value: rng.random_bool(0.5),
                out,
            },
        });
    }
    let written = total_in + num_gates;
    let outputs = (0..rng.random_range(1..=3))
        .map(|k| {
            let width = rng.random_range(1..=4);
            Output {
                name: name("out", k),
                ty: ty(rng, width),
                // Any written wire, inputs too, repeats allowed.
                wires: (0..width)
                    .map(|_| wire[rng.random_range(0..written)])
                    .collect(),
            }
        })
        .collect();
    Sample {
        c: Circuit {
            name: format!("sample{}", rng.random_range(0..1000)),
            num_wires: n as u32,
            inputs,
            outputs,
            gates,
        },
        written: wire[..written].to_vec(),
        spare: wire[written..].to_vec(),
        total_in,
    }
}

/// Every wire a gate reads, as mutable references.
fn reads(g: &mut Gate) -> Vec<&mut Wire> {
    match g {
        Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => vec![a, b],
        Gate::Not { a, .. } => vec![a],
        Gate::Const { .. } => vec![],
    }
}

fn output_of(g: &mut Gate) -> &mut Wire {
    match g {
        Gate::Xor { out, .. } | Gate::And { out, .. } | Gate::Not { out, .. } => out,
        Gate::Const { out, .. } => out,
    }
}

/// Makes every read of `old` (by a gate or an output) a read of `new`.
fn redirect_reads(c: &mut Circuit, old: Wire, new: Wire) {
    for g in &mut c.gates {
        for w in reads(g) {
            if *w == old {
                *w = new;
            }
        }
    }
    for w in c.outputs.iter_mut().flat_map(|o| &mut o.wires) {
        if *w == old {
            *w = new;
        }
    }
}

/// Applies `f` to every wire the circuit names.
fn renumber(c: &mut Circuit, f: impl Fn(Wire) -> Wire) {
    for w in c.inputs.iter_mut().flat_map(|i| &mut i.wires) {
        *w = f(*w);
    }
    for g in &mut c.gates {
        for w in reads(g) {
            *w = f(*w);
        }
        let out = output_of(g);
        *out = f(*out);
    }
    for w in c.outputs.iter_mut().flat_map(|o| &mut o.wires) {
        *w = f(*w);
    }
}

/// The number of kinds of defect `break_one` makes.
const DEFECTS: usize = 12;

/// `s` with one defect of kind `kind`, and the error `validate` must give;
/// `None` when this circuit has no place for that kind.
fn break_one(s: &Sample, kind: usize, rng: &mut StdRng) -> Option<(Circuit, IrError)> {
    let mut c = s.c.clone();
    let n = c.num_wires;
    let pick = |rng: &mut StdRng, len: usize| (len > 0).then(|| rng.random_range(0..len));
    // A gate that reads a wire.
    let reader = |rng: &mut StdRng, c: &Circuit| {
        let readers: Vec<usize> = (0..c.gates.len())
            .filter(|&i| !matches!(c.gates[i], Gate::Const { .. }))
            .collect();
        readers.choose(rng).copied()
    };
    let beyond = |rng: &mut StdRng| [n, n + 1, n + 1000, Wire::MAX][rng.random_range(0..4)];
    let error = match kind {
        // Two input groups, or two output groups, of one name.
        0 | 1 => {
            let names: Vec<&mut String> = if kind == 0 {
                c.inputs.iter_mut().map(|i| &mut i.name).collect()
            } else {
                c.outputs.iter_mut().map(|o| &mut o.name).collect()
            };
            if names.len() < 2 {
                return None;
            }
            let k = rng.random_range(1..names.len());
            let j = rng.random_range(0..k);
            let name = names[j].clone();
            *names.into_iter().nth(k)? = name.clone();
            IrError::DuplicateName {
                kind: ["input", "output"][kind],
                name,
            }
        }
        // A type wider or narrower than the group.
        2 | 3 => {
            let (name, wires, ty) = if kind == 2 {
                let i = pick(rng, c.inputs.len())?;
                let i = &mut c.inputs[i];
                (i.name.clone(), i.wires.len(), &mut i.ty)
            } else {
                let o = pick(rng, c.outputs.len())?;
                let o = &mut c.outputs[o];
                (o.name.clone(), o.wires.len(), &mut o.ty)
            };
            let width = match wires {
                1 => 2,
                w => [w - 1, w + 1][rng.random_range(0..2)],
            };
            *ty = random_type(rng, width as u32);
            IrError::WidthMismatch {
                kind: ["input", "output"][kind - 2],
                name,
                ty: ty.clone(),
                width: width as u64,
                wires,
            }
        }
        // One fewer wire: the one renumbered last is written out of range.
        4 => {
            let k = pick(rng, s.written.len())?;
            let (w, top) = (s.written[k], n - 1);
            renumber(&mut c, |x| match x {
                x if x == w => top,
                x if x == top => w,
                x => x,
            });
            c.num_wires = top;
            IrError::OutOfRange {
                wire: top,
                num_wires: top,
                place: s.writer(k),
            }
        }
        // A gate reads a wire out of range.
        5 => {
            let i = reader(rng, &c)?;
            let wire = beyond(rng);
            let mut r = reads(&mut c.gates[i]);
            let k = pick(rng, r.len())?;
            *r[k] = wire;
            IrError::OutOfRange {
                wire,
                num_wires: n,
                place: format!("gate {i}"),
            }
        }
        // An output reads a wire out of range, or one nothing writes.
        6 | 7 => {
            let o = pick(rng, c.outputs.len())?;
            let wire = if kind == 6 {
                beyond(rng)
            } else {
                *s.spare.choose(rng)?
            };
            let out = &mut c.outputs[o];
            let j = pick(rng, out.wires.len())?;
            out.wires[j] = wire;
            let place = format!("output `{}`", out.name);
            if kind == 6 {
                IrError::OutOfRange {
                    wire,
                    num_wires: n,
                    place,
                }
            } else {
                IrError::ReadBeforeWrite { wire, place }
            }
        }
        // A gate reads a wire that its own output, a later gate or nothing
        // writes.
        8 => {
            let i = reader(rng, &c)?;
            let later = &s.written[s.total_in + i..];
            let unwritten: Vec<Wire> = later.iter().chain(&s.spare).copied().collect();
            let wire = *unwritten.choose(rng)?;
            let mut r = reads(&mut c.gates[i]);
            let k = pick(rng, r.len())?;
            *r[k] = wire;
            IrError::ReadBeforeWrite {
                wire,
                place: format!("gate {i}"),
            }
        }
        // A gate writes a wire an input or an earlier gate wrote (its own
        // output is then read in the other's place).
        9 => {
            let i = pick(rng, c.gates.len())?;
            let k = pick(rng, s.total_in + i)?;
            let wire = s.written[k];
            let old = std::mem::replace(output_of(&mut c.gates[i]), wire);
            redirect_reads(&mut c, old, wire);
            IrError::WrittenTwice {
                wire,
                first: s.writer(k),
                second: format!("gate {i}"),
            }
        }
        // An input bit is a wire an earlier bit (of its group or another)
        // is.
        10 => {
            if s.total_in < 2 {
                return None;
            }
            let p = rng.random_range(1..s.total_in);
            let q = rng.random_range(0..p);
            let (old, wire) = (s.written[p], s.written[q]);
            let group = c.inputs.iter_mut().find(|i| i.wires.contains(&old))?;
            *group.wires.iter_mut().find(|w| **w == old)? = wire;
            let second = format!("input `{}`", group.name);
            redirect_reads(&mut c, old, wire);
            IrError::WrittenTwice {
                wire,
                first: s.writer(q),
                second,
            }
        }
        // An input bit is a wire a gate writes.
        _ => {
            let p = pick(rng, s.total_in)?;
            let i = pick(rng, c.gates.len())?;
            let (old, wire) = (s.written[p], s.written[s.total_in + i]);
            let group = c.inputs.iter_mut().find(|g| g.wires.contains(&old))?;
            *group.wires.iter_mut().find(|w| **w == old)? = wire;
            let first = format!("input `{}`", group.name);
            redirect_reads(&mut c, old, wire);
            IrError::WrittenTwice {
                wire,
                first,
                second: format!("gate {i}"),
            }
        }
    };
    Some((c, error))
}

#[test]
fn valid_circuits_pass() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut kinds = std::collections::HashSet::new();
    for seed in 0..2000 {
        let s = sample(&mut rng, seed % 4 == 0);
        assert_eq!(s.c.validate(), Ok(()), "seed {seed}: {:?}", s.c);
        for i in &s.c.inputs {
            kinds.insert(std::mem::discriminant(&i.ty));
        }
    }
    assert_eq!(kinds.len(), 5, "every kind of type was tried");
}

#[test]
fn each_broken_invariant_gives_its_error() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut tried = [0u32; DEFECTS];
    for seed in 0..1500 {
        let s = sample(&mut rng, seed % 4 == 0);
        for (kind, tried) in tried.iter_mut().enumerate() {
            let Some((c, expected)) = break_one(&s, kind, &mut rng) else {
                continue;
            };
            *tried += 1;
            assert_eq!(
                c.validate(),
                Err(expected),
                "seed {seed}, defect {kind}: {:?}\nfrom {:?}",
                c,
                s.c
            );
        }
    }
    eprintln!("defects made, by kind: {tried:?}");
    for (kind, &n) in tried.iter().enumerate() {
        assert!(n >= 200, "defect {kind} was made only {n} times");
    }
}

#[test]
fn errors_say_what_and_where() {
    let c = small_circuit();
    let mut bad = c.clone();
    bad.gates[4] = Gate::Xor { a: 6, b: 9, out: 8 };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "wire 9 is read by gate 4 before anything writes it"
    );
    let mut bad = c.clone();
    bad.gates[3] = Gate::Const {
        value: true,
        out: 2,
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "wire 2 is written twice: by input `b` and by gate 3"
    );
    let mut bad = c.clone();
    bad.outputs[0].wires[1] = 10;
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "wire 10 is out of range: the circuit has 10 wires (output `o`)"
    );
    let mut bad = c;
    bad.inputs[1].ty = ValueType::SInt(3);
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "input group `b` has type i3 (3 bits) but 2 wires"
    );
}

fn small_circuit() -> Circuit {
    Circuit {
        name: "small".into(),
        num_wires: 10,
        inputs: vec![
            Input {
                name: "a".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(2),
                wires: vec![0, 1],
            },
            Input {
                name: "b".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(2),
                wires: vec![2, 3],
            },
        ],
        outputs: vec![Output {
            name: "o".into(),
            ty: ValueType::UInt(2),
            wires: vec![8, 9],
        }],
        gates: vec![
            Gate::And { a: 0, b: 2, out: 4 },
            Gate::Xor { a: 1, b: 3, out: 5 },
            Gate::Not { a: 4, out: 6 },
            Gate::Const {
                value: true,
                out: 7,
            },
            Gate::Xor { a: 6, b: 7, out: 8 },
            Gate::And { a: 5, b: 8, out: 9 },
        ],
    }
}

/// The id is what two parties compare before they run a circuit, so it
/// must not change between versions without a new format tag
/// (`yao-circuit-v1`). These values were computed by the id as first
/// written and are unchanged since.
#[test]
fn id_is_pinned() {
    let c = small_circuit();
    assert_eq!(
        c.id().to_hex(),
        "019fbfca4891d00c3d5b51601e0964e63a2959557b7c407ae6bc43b3dac7b1fb"
    );
    let adder = "2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n";
    let adder = bristol::parse("x", adder, &Options::default()).unwrap();
    assert_eq!(
        adder.id().to_hex(),
        "dca0f0443c950993fb7e31eeb422dc22189f13dc3c6759bd5485d796eaaea8a8"
    );
    let exported = bristol::parse("x", &bristol::export(&c), &Options::default()).unwrap();
    assert_eq!(
        exported.id().to_hex(),
        "7ed6122eb3ab183330abfbacc254b525fabf1e078bbe59d68654a5a5479bf21a"
    );
}

#[test]
fn id_survives_bristol_export_and_import() {
    let mut rng = StdRng::seed_from_u64(3);
    for seed in 0..500 {
        let c = sample(&mut rng, true).c;
        let options = Options {
            parties: Some(c.inputs.iter().map(|i| i.party).collect()),
            ..Options::default()
        };
        let text = bristol::export(&c);
        let again = bristol::parse("other", &text, &options).unwrap();
        assert_eq!(again.id(), c.id(), "seed {seed}: {c:?}\n{text}");
    }
}

#[test]
fn id_ignores_wire_numbers_and_the_circuit_name() {
    let mut rng = StdRng::seed_from_u64(4);
    for seed in 0..500 {
        let c = sample(&mut rng, seed % 2 == 0).c;
        let mut d = c.clone();
        d.num_wires += rng.random_range(0..5);
        let mut wire: Vec<Wire> = (0..d.num_wires).collect();
        wire.shuffle(&mut rng);
        renumber(&mut d, |w| wire[w as usize]);
        d.name.push_str(" renamed");
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(d.id(), c.id(), "seed {seed}");
    }
}

/// Valid circuits that differ from `s`'s in one gate, input or output.
fn changes(s: &Sample, rng: &mut StdRng) -> Vec<(String, Circuit)> {
    let c = &s.c;
    let mut out = Vec::new();
    let mut change = |what: String, f: &mut dyn FnMut(&mut Circuit)| {
        let mut d = c.clone();
        f(&mut d);
        out.push((what, d));
    };
    for i in 0..c.gates.len() {
        let (g, readable) = (c.gates[i], &s.written[..s.total_in + i]);
        // Another kind of gate on the same wires.
        let other = match g {
            Gate::Xor { a, b, out } => Gate::And { a, b, out },
            Gate::And { a, b, out } => Gate::Xor { a, b, out },
            Gate::Not { a, out } => Gate::Xor { a, b: a, out },
            Gate::Const { value, out } => Gate::Const { value: !value, out },
        };
        change(format!("gate {i} kind"), &mut |d| d.gates[i] = other);
        // Another wire read.
        for k in 0..reads(&mut g.clone()).len() {
            let mut other = g;
            let w = *reads(&mut other)[k];
            let choices: Vec<Wire> = readable.iter().copied().filter(|&x| x != w).collect();
            if let Some(&x) = choices.choose(rng) {
                *reads(&mut other)[k] = x;
                change(format!("gate {i} input {k}"), &mut |d| d.gates[i] = other);
            }
        }
    }
    let last = *s.written.last().unwrap();
    change("one more gate".into(), &mut |d| {
        let out = d.num_wires;
        d.num_wires += 1;
        d.gates.push(Gate::Not { a: last, out });
    });
    for k in 0..c.inputs.len() {
        change(format!("input {k} name"), &mut |d| d.inputs[k].name += "'");
        change(format!("input {k} party"), &mut |d| {
            d.inputs[k].party = match d.inputs[k].party {
                Party::Garbler => Party::Evaluator,
                Party::Evaluator => Party::Garbler,
            }
        });
        let width = c.inputs[k].wires.len() as u32;
        change(format!("input {k} type"), &mut |d| {
            d.inputs[k].ty = match d.inputs[k].ty {
                ValueType::Array(..) => ValueType::UInt(width),
                _ => ValueType::Array(Box::new(ValueType::Bool), width),
            }
        });
    }
    for k in 0..c.outputs.len() {
        change(format!("output {k} name"), &mut |d| {
            d.outputs[k].name += "'"
        });
        let width = c.outputs[k].wires.len() as u32;
        change(format!("output {k} type"), &mut |d| {
            d.outputs[k].ty = match d.outputs[k].ty {
                ValueType::SInt(..) => ValueType::UInt(width),
                _ => ValueType::SInt(width),
            }
        });
        let j = rng.random_range(0..width as usize);
        let w = c.outputs[k].wires[j];
        let others: Vec<Wire> = s.written.iter().copied().filter(|&x| x != w).collect();
        let x = *others.choose(rng).unwrap();
        change(format!("output {k} wire {j}"), &mut |d| {
            d.outputs[k].wires[j] = x
        });
    }
    out
}

#[test]
fn id_changes_with_any_gate_input_or_output() {
    let mut rng = StdRng::seed_from_u64(5);
    for seed in 0..300 {
        let s = sample(&mut rng, seed % 2 == 0);
        let id = s.c.id();
        for (what, d) in changes(&s, &mut rng) {
            assert_eq!(d.validate(), Ok(()), "seed {seed}: {what}");
            assert_ne!(d.id(), id, "seed {seed}: {what} left the id as it was");
        }
    }
}

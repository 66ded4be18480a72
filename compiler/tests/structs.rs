//! `struct` and `type`: programs checked against the same computation in
//! Rust, the cost of a struct (none: it is its fields' wires), and the
//! diagnostics of bad declarations, literals and field accesses.

use yao_compiler::ir::{Circuit, StructType, ValueType};
use yao_compiler::lang::{compile_str, Diagnostics};
use yao_compiler::value::Value;

fn compile(src: &str) -> Circuit {
    compile_str("structs.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

/// Runs `c` on inputs written as the command line writes them and returns
/// the outputs printed the same way.
fn run(c: &Circuit, inputs: &[&str]) -> Vec<String> {
    let bits: Vec<Vec<bool>> = c
        .inputs
        .iter()
        .zip(inputs)
        .map(|(i, text)| {
            Value::parse(text)
                .and_then(|v| v.encode(&i.ty))
                .unwrap_or_else(|e| panic!("input `{}`: {e}", i.name))
        })
        .collect();
    c.eval_plain(&bits)
        .unwrap()
        .iter()
        .zip(&c.outputs)
        .map(|(b, o)| Value::decode(b, &o.ty).unwrap().to_string())
        .collect()
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Mostly small coordinates (so points fall inside rectangles), at
    /// times any `i16`.
    fn coord(&mut self) -> i16 {
        if self.next().is_multiple_of(8) {
            self.next() as i16
        } else {
            (self.next() % 41) as i16 - 20
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
struct Point {
    x: i16,
    y: i16,
}

#[derive(Clone, Copy, PartialEq, Debug)]
struct Rect {
    lo: Point,
    hi: Point,
    tags: [u8; 4],
}

fn point_text(p: Point) -> String {
    format!("{{x: {}, y: {}}}", p.x, p.y)
}

fn rect_text(r: Rect) -> String {
    format!(
        "{{lo: {}, hi: {}, tags: [{}, {}, {}, {}]}}",
        point_text(r.lo),
        point_text(r.hi),
        r.tags[0],
        r.tags[1],
        r.tags[2],
        r.tags[3]
    )
}

const GEOMETRY: &str = "
type Coord = i16;
struct Point { x: Coord, y: Coord }
struct Rect { lo: Point, hi: Point, tags: [u8; N] }
const N: u32 = 4;
const ORIGIN: Point = Point { x: 0, y: 0 };

fn area(r: Rect) -> i32 {
    ((r.hi.x - r.lo.x) as i32) * ((r.hi.y - r.lo.y) as i32)
}

fn clamp(p: Point, r: Rect) -> Point {
    Point { y: max(r.lo.y, min(p.y, r.hi.y)), x: max(r.lo.x, min(p.x, r.hi.x)) }
}

circuit geometry(garbler r: Rect, evaluator ps: [Point; 4], evaluator k: u2)
    -> (inside: bool, area: i32, clamped: Point, moved: Rect, other: Point, hits: u8) {
    let p = ps[k];
    let inside = r.lo.x <= p.x && p.x <= r.hi.x && r.lo.y <= p.y && p.y <= r.hi.y;
    let mut m = r;
    if inside {
        m.lo = Point { x: p.x, y: m.lo.y };
        m.tags[k] += 1;
    }
    m.hi.y -= 1;
    let mut hits: u8 = 0;
    for q in ps {
        if q == ORIGIN || q.x == r.lo.x { hits += 1; }
    }
    (inside, area(r), clamp(p, r), m, ps[3 - k], hits)
}
";

/// The circuit above, in Rust.
fn geometry(r: Rect, ps: [Point; 4], k: usize) -> Vec<String> {
    let p = ps[k];
    let inside = r.lo.x <= p.x && p.x <= r.hi.x && r.lo.y <= p.y && p.y <= r.hi.y;
    let area =
        (r.hi.x.wrapping_sub(r.lo.x) as i32).wrapping_mul(r.hi.y.wrapping_sub(r.lo.y) as i32);
    let clamped = Point {
        x: r.lo.x.max(p.x.min(r.hi.x)),
        y: r.lo.y.max(p.y.min(r.hi.y)),
    };
    let mut m = r;
    if inside {
        m.lo = Point { x: p.x, y: m.lo.y };
        m.tags[k] = m.tags[k].wrapping_add(1);
    }
    m.hi.y = m.hi.y.wrapping_sub(1);
    let hits = ps
        .iter()
        .filter(|q| **q == Point { x: 0, y: 0 } || q.x == r.lo.x)
        .count();
    vec![
        inside.to_string(),
        area.to_string(),
        point_text(clamped),
        rect_text(m),
        point_text(ps[3 - k]),
        hits.to_string(),
    ]
}

#[test]
fn structs_compute_as_rust_does() {
    let c = compile(GEOMETRY);
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut inside = 0;
    for _ in 0..300 {
        let pt = |rng: &mut Rng| Point {
            x: rng.coord(),
            y: rng.coord(),
        };
        let (a, b) = (pt(&mut rng), pt(&mut rng));
        let r = Rect {
            lo: Point {
                x: a.x.min(b.x),
                y: a.y.min(b.y),
            },
            hi: Point {
                x: a.x.max(b.x),
                y: a.y.max(b.y),
            },
            tags: std::array::from_fn(|_| rng.next() as u8),
        };
        let mut ps: [Point; 4] = std::array::from_fn(|_| pt(&mut rng));
        if rng.next().is_multiple_of(4) {
            ps[1] = Point { x: 0, y: 0 };
        }
        let k = (rng.next() % 4) as usize;
        let want = geometry(r, ps, k);
        inside += (want[0] == "true") as u32;
        let ps_text = format!("[{}]", ps.map(point_text).join(", "));
        let got = run(&c, &[&rect_text(r), &ps_text, &k.to_string()]);
        assert_eq!(got, want, "r = {r:?}, ps = {ps:?}, k = {k}");
    }
    assert!(
        inside > 30,
        "only {inside} points inside: the test lacks coverage"
    );
}

#[test]
fn struct_inputs_and_outputs_carry_their_field_names() {
    let c = compile(GEOMETRY);
    let point = ValueType::Struct(Box::new(StructType {
        name: "Point".into(),
        fields: vec![
            ("x".into(), ValueType::SInt(16)),
            ("y".into(), ValueType::SInt(16)),
        ],
    }));
    assert_eq!(c.inputs[1].ty, ValueType::Array(Box::new(point.clone()), 4));
    assert_eq!(c.outputs[2].ty, point);
    assert_eq!(c.inputs[1].ty.to_string(), "[Point; 4]");
    assert_eq!(
        c.inputs[0].ty.layout(),
        "Rect { lo: Point { x: i16, y: i16 }, hi: Point { x: i16, y: i16 }, tags: [u8; 4] }"
    );
}

/// A struct is its fields' wires: the same program over tuples builds the
/// very same gates.
#[test]
fn structs_cost_nothing() {
    let with_struct = compile(
        "struct P { x: u32, y: u32 }
         fn add(a: P, b: P) -> P { P { x: a.x + b.x, y: a.y + b.y } }
         circuit t(garbler a: P, evaluator b: P) -> P {
             let mut s = add(a, b);
             s.y = s.y * a.x;
             if s.x > b.y { s.x = a.y; }
             s
         }",
    );
    let with_tuple = compile(
        "fn add(a: (u32, u32), b: (u32, u32)) -> (u32, u32) { (a.0 + b.0, a.1 + b.1) }
         circuit t(garbler a: (u32, u32), evaluator b: (u32, u32)) -> ((u32, u32),) {
             let mut s = add(a, b);
             s.1 = s.1 * a.0;
             if s.0 > b.1 { s.0 = a.1; }
             (s,)
         }",
    );
    assert_eq!(with_struct.gates, with_tuple.gates);
    assert_eq!(with_struct.num_wires, with_tuple.num_wires);
    assert_eq!(with_struct.stats().and, with_tuple.stats().and);
    assert!(with_struct.stats().and > 1000);
}

/// An alias is its type: the circuit, id included, is the one written
/// without it.
#[test]
fn type_aliases_are_their_types() {
    let aliased = compile(
        "type Pixel = u8;
         type Image = [Pixel; SIDE * SIDE];
         type Pair = (Image, Pixel);
         const SIDE: u32 = 3;
         fn brightest(img: Image) -> Pixel {
             let mut m: Pixel = 0;
             for p in img { m = max(m, p); }
             m
         }
         circuit t(garbler a: Image, evaluator b: Image) -> Pair {
             let mut sum: Image = [0; 9];
             for i in 0..9 { sum[i] = a[i] + b[i]; }
             (sum, brightest(sum))
         }",
    );
    let plain = compile(
        "fn brightest(img: [u8; 9]) -> u8 {
             let mut m: u8 = 0;
             for p in img { m = max(m, p); }
             m
         }
         circuit t(garbler a: [u8; 9], evaluator b: [u8; 9]) -> ([u8; 9], u8) {
             let mut sum: [u8; 9] = [0; 9];
             for i in 0..9 { sum[i] = a[i] + b[i]; }
             (sum, brightest(sum))
         }",
    );
    assert_eq!(aliased.id(), plain.id());
    let out = run(
        &aliased,
        &[
            "[1, 2, 3, 4, 5, 6, 7, 8, 250]",
            "[1, 1, 1, 1, 1, 1, 1, 1, 10]",
        ],
    );
    assert_eq!(out, ["[2, 3, 4, 5, 6, 7, 8, 9, 4]", "9"]);
}

#[test]
fn structs_in_arrays_matches_and_nested_assignment() {
    let c = compile(
        "struct Item { id: u4, price: u16, tags: (bool, u3) }
         struct Cart { items: [Item; 3], total: u16 }
         circuit shop(garbler cart: Cart, evaluator coupon: u4) -> Cart {
             let mut c = cart;
             for i in 0..3 {
                 let off: u16 = match c.items[i].tags.1 { 0 => 0, 1 | 2 => 5, _ => 10 };
                 if c.items[i].id == coupon && c.items[i].tags.0 {
                     c.items[i].price -= off;
                 }
             }
             c.total = 0;
             for it in c.items { c.total += it.price; }
             c
         }",
    );
    let cart = "{total: 9, items: [{id: 1, price: 100, tags: (true, 2)}, \
                {id: 2, price: 50, tags: (true, 7)}, {id: 1, price: 30, tags: (false, 7)}]}";
    assert_eq!(
        run(&c, &[cart, "1"]),
        [
            "{items: [{id: 1, price: 95, tags: (true, 2)}, {id: 2, price: 50, tags: (true, 7)}, \
          {id: 1, price: 30, tags: (false, 7)}], total: 175}"
        ]
    );
    assert_eq!(
        run(&c, &[cart, "2"]),
        [
            "{items: [{id: 1, price: 100, tags: (true, 2)}, {id: 2, price: 40, tags: (true, 7)}, \
          {id: 1, price: 30, tags: (false, 7)}], total: 170}"
        ]
    );
}

#[test]
fn struct_literals_in_conditions_need_parentheses() {
    let c = compile(
        "struct P { x: u8, y: u8 }
         circuit t(garbler a: P, evaluator b: u8) -> u8 {
             if a == (P { x: b, y: 1 }) { 1 } else if [P { x: 2, y: b }][0] == a { 2 } else { 0 }
         }",
    );
    assert_eq!(run(&c, &["{x: 5, y: 1}", "5"]), ["1"]);
    assert_eq!(run(&c, &["{x: 2, y: 7}", "7"]), ["2"]);
    assert_eq!(run(&c, &["{x: 2, y: 7}", "6"]), ["0"]);
}

// ------------------------------------------------------------ diagnostics

fn errors(src: &str) -> Diagnostics {
    match compile_str("bad.yao", src) {
        Ok(_) => panic!("compiled but should not:\n{src}"),
        Err(d) => d,
    }
}

/// Each expected diagnostic: line, column, a fragment of the message, and
/// a fragment of one of its hints (or "").
fn check(src: &str, expect: &[(usize, usize, &str, &str)]) {
    let d = errors(src);
    let listing = d.render(false);
    let got: Vec<_> = d.iter().collect();
    assert_eq!(got.len(), expect.len(), "{src}\n{listing}");
    for (g, &(line, col, msg, hint)) in got.iter().zip(expect) {
        assert_eq!((g.line, g.column), (line, col), "{listing}");
        assert!(
            g.message.contains(msg),
            "`{}` lacks `{msg}`\n{listing}",
            g.message
        );
        assert!(
            hint.is_empty() || g.hints.iter().any(|h| h.contains(hint)),
            "hints {:?} lack `{hint}`\n{listing}",
            g.hints
        );
    }
}

const P: &str = "struct Point { x: u8, y: u8 }\n";

#[test]
fn unknown_field_suggests_the_nearest() {
    check(
        &format!("{P}circuit t(garbler a: Point) -> u8 {{\n    a.z + a.yy\n}}\n"),
        &[
            (
                3,
                7,
                "struct `Point` has no field `z`",
                "its fields are `x: u8`, `y: u8`",
            ),
            (
                3,
                13,
                "struct `Point` has no field `yy`",
                "did you mean `y`?",
            ),
        ],
    );
    check(
        &format!("{P}circuit t(garbler a: u8) -> Point {{\n    let mut p = Point {{ x: a, y: a }};\n    p.w = 1;\n    p\n}}\n"),
        &[(4, 7, "struct `Point` has no field `w`", "its fields are")],
    );
}

#[test]
fn literals_need_every_field_once() {
    check(
        &format!("{P}circuit t(garbler a: u8) -> Point {{\n    Point {{ x: a }}\n}}\n"),
        &[(3, 5, "missing field `y` in `Point`", "its fields are")],
    );
    check(
        &format!("{P}circuit t(garbler a: u8) -> Point {{\n    Point {{ x: a, y: 1, x: 2 }}\n}}\n"),
        &[(3, 25, "field `x` is given twice", "remove one")],
    );
    check(
        &format!("{P}circuit t(garbler a: u8) -> Point {{\n    Point {{ x: a, yy: 1 }}\n}}\n"),
        &[(
            3,
            19,
            "struct `Point` has no field `yy`",
            "did you mean `y`?",
        )],
    );
    check(
        &format!("{P}circuit t(garbler a: u16) -> Point {{\n    Point {{ x: a, y: 300 }}\n}}\n"),
        &[
            (3, 16, "expected `u8`, found `u16`", "as u8"),
            (3, 22, "constant 300 does not fit in `u8`", ""),
        ],
    );
}

#[test]
fn unknown_structs_and_types_are_named() {
    check(
        &format!("{P}circuit t(garbler a: u8) -> u8 {{\n    let p = Pointt {{ x: a, y: a }};\n    p.x\n}}\n"),
        &[(3, 13, "unknown struct `Pointt`", "did you mean `Point`?")],
    );
    check(
        &format!("{P}circuit t(garbler a: Piont) -> u8 {{ 0 }}\n"),
        &[(2, 22, "unknown type `Piont`", "did you mean `Point`?")],
    );
    check(
        "type Pixel = u8;\ncircuit t(garbler a: u8) -> u8 {\n    let q = Pixel { v: a };\n    a\n}\n",
        &[(3, 13, "`Pixel` is `u8`, not a struct", "")],
    );
}

#[test]
fn bad_declarations() {
    check(
        "struct A { x: u8, y: B, x: u8 }\nstruct B { a: A }\ntype T = T;\ntype u8 = bool;\nstruct B { z: u1 }\ncircuit t(garbler a: u8) -> u8 { a }\n",
        &[
            (4, 6, "`u8` is a built-in type", ""),
            (5, 8, "type `B` is defined more than once", "first defined at bad.yao:2:8"),
            (2, 15, "type `A` contains itself", "fixed size"),
            (1, 25, "field `x` is declared more than once", "rename"),
            (3, 10, "type `T` contains itself", ""),
        ],
    );
    check(
        "struct P(u8, u8);\ncircuit t(garbler a: u8) -> u8 { a }\n",
        &[(1, 9, "expected `{` after the struct name", "tuple type")],
    );
}

#[test]
fn tuple_and_struct_fields_are_not_confused() {
    check(
        &format!("{P}circuit t(garbler a: Point, evaluator b: (u8, u8)) -> u8 {{\n    a.0 + b.x + a[0]\n}}\n"),
        &[
            (3, 7, "`Point` is a struct; it has no field 0", "read by name, e.g. `.x`"),
            (3, 13, "`(u8, u8)` is a tuple; it has no field `x`", "`.0` to `.1`"),
            (3, 17, "cannot index into a value of type `Point`", "read by name"),
        ],
    );
    check(
        &format!("{P}circuit t(garbler a: Point) -> bool {{\n    if a == Point {{ x: 1, y: 2 }} {{ true }} else {{ false }}\n}}\n"),
        &[(3, 13, "a struct literal cannot appear here unparenthesized", "parentheses")],
    );
    check(
        &format!("{P}circuit t(garbler a: Point, evaluator b: Point) -> bool {{\n    a < b\n}}\n"),
        &[(3, 5, "`<` cannot be applied to values of type `Point`", "")],
    );
}

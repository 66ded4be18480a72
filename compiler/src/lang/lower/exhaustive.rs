//! Which values a `match` misses, and which arms can never run: the
//! usefulness algorithm of Maranget ("Warnings for pattern matching",
//! J. Functional Programming 17(3), 2007) over products (tuples, structs)
//! of integer and `bool` columns. An integer column is split into the
//! intervals its patterns tell apart (as rustc does for integer ranges), so
//! a `u64` costs no more than a `bool`.
//!
//! The check is exponential in the worst case (the problem is NP-complete
//! for products), so it runs on a budget; [`TooComplex`] says it ran out.

use super::super::types::{StructTy, Ty};
use super::MAX_CONST_BITS;
use num_bigint::BigInt;
use std::collections::HashSet;
use std::sync::Arc;

/// Units of work (pattern cells visited) one question may take.
const BUDGET: u64 = 1 << 22;
/// Deepest recursion (one level per column that patterns constrain).
const MAX_DEPTH: usize = 10_000;

/// The set of values of a type, as the check sees it.
#[derive(Debug)]
pub(super) enum Shape {
    Bool,
    /// An integer type's values `lo..=hi`; `bounded` is false for an untyped
    /// compile-time integer, whose bounds are only far away.
    Int {
        lo: BigInt,
        hi: BigInt,
        bounded: bool,
    },
    Tuple(Vec<Shape>),
    Struct(Arc<StructTy>, Vec<Shape>),
    /// A value only `_` or a name can match (an array).
    Opaque,
}

impl Shape {
    pub(super) fn of(ty: &Ty) -> Shape {
        let one = BigInt::from(1);
        match ty {
            Ty::Bool => Shape::Bool,
            Ty::UInt(w) => Shape::Int {
                lo: BigInt::from(0),
                hi: (&one << *w as usize) - 1,
                bounded: true,
            },
            Ty::SInt(w) => {
                let half = &one << (*w as usize - 1);
                Shape::Int {
                    lo: -half.clone(),
                    hi: half - 1,
                    bounded: true,
                }
            }
            Ty::Int => {
                let far = &one << (MAX_CONST_BITS as usize + 1);
                Shape::Int {
                    lo: -far.clone(),
                    hi: far,
                    bounded: false,
                }
            }
            Ty::Tuple(ts) => Shape::Tuple(ts.iter().map(Shape::of).collect()),
            Ty::Struct(s) => Shape::Struct(
                s.clone(),
                s.fields.iter().map(|(_, t)| Shape::of(t)).collect(),
            ),
            Ty::Array(..) => Shape::Opaque,
        }
    }

    /// The inclusive bounds of a `bool` or integer column.
    fn bounds(&self) -> Option<(BigInt, BigInt)> {
        match self {
            Shape::Bool => Some((BigInt::from(0), BigInt::from(1))),
            Shape::Int { lo, hi, .. } => Some((lo.clone(), hi.clone())),
            _ => None,
        }
    }

    fn fields(&self) -> Option<&[Shape]> {
        match self {
            Shape::Tuple(fs) | Shape::Struct(_, fs) => Some(fs),
            _ => None,
        }
    }
}

/// A pattern as the check sees it: bindings are [`Pat::Any`], `n @ p` is
/// `p`, a `bool` is the interval 0..=0 or 1..=1, and a struct pattern lists
/// every field in declaration order (those it leaves out are `Any`).
#[derive(Clone, Debug)]
pub(super) enum Pat {
    Any,
    Range(BigInt, BigInt),
    Fields(Vec<Pat>),
    Or(Vec<Pat>),
}

impl Pat {
    /// Matches every value (contains no literal or range that could fail).
    pub(super) fn irrefutable(&self) -> bool {
        match self {
            Pat::Any => true,
            Pat::Range(..) => false,
            Pat::Fields(ps) => ps.iter().all(Pat::irrefutable),
            Pat::Or(ps) => ps.iter().any(Pat::irrefutable),
        }
    }
}

static ANY: Pat = Pat::Any;

/// A set of values no pattern matches, shaped like a pattern.
#[derive(Clone, Debug)]
pub(super) enum Witness {
    Any,
    Range(BigInt, BigInt),
    Fields(Vec<Witness>),
}

/// The check ran out of its budget.
#[derive(Debug)]
pub(super) struct TooComplex;

/// Answers usefulness questions for one `match`, within one budget.
pub(super) struct Checker {
    work: u64,
}

impl Checker {
    pub(super) fn new() -> Checker {
        Checker { work: 0 }
    }

    /// Values of `shape` that `q` matches but no pattern of `rows` does:
    /// one such set, or `None` if `q` adds nothing to `rows`.
    pub(super) fn useful(
        &mut self,
        rows: &[&Pat],
        q: &Pat,
        shape: &Shape,
    ) -> Result<Option<Witness>, TooComplex> {
        let rows: Vec<Vec<&Pat>> = rows.iter().map(|p| vec![*p]).collect();
        Ok(self
            .go(rows, vec![q], vec![shape], 0)?
            .and_then(|mut w| w.pop()))
    }

    fn spend(&mut self, n: usize) -> Result<(), TooComplex> {
        self.work = self.work.saturating_add(n as u64 + 1);
        if self.work > BUDGET {
            return Err(TooComplex);
        }
        Ok(())
    }

    /// The vector form: `rows` and `q` have one pattern per column of
    /// `shapes`; a witness has one entry per column.
    fn go<'p>(
        &mut self,
        mut rows: Vec<Vec<&'p Pat>>,
        mut q: Vec<&'p Pat>,
        mut shapes: Vec<&Shape>,
        depth: usize,
    ) -> Result<Option<Vec<Witness>>, TooComplex> {
        if depth > MAX_DEPTH {
            return Err(TooComplex);
        }
        // Columns nothing constrains add nothing: drop them at once (no
        // recursion per column of a wide struct).
        let dropped = (0..q.len())
            .take_while(|&c| {
                matches!(q[c], Pat::Any) && rows.iter().all(|r| matches!(r[c], Pat::Any))
            })
            .count();
        if dropped > 0 {
            self.spend((rows.len() + 1) * dropped)?;
            q.drain(..dropped);
            shapes.drain(..dropped);
            for r in &mut rows {
                r.drain(..dropped);
            }
        }
        let found = self.head(rows, q, shapes, depth)?;
        Ok(found.map(|w| {
            let mut all = vec![Witness::Any; dropped];
            all.extend(w);
            all
        }))
    }

    fn head<'p, 's>(
        &mut self,
        rows: Vec<Vec<&'p Pat>>,
        q: Vec<&'p Pat>,
        shapes: Vec<&'s Shape>,
        depth: usize,
    ) -> Result<Option<Vec<Witness>>, TooComplex> {
        self.spend(rows.len() * q.len())?;
        if q.is_empty() {
            return Ok(rows.is_empty().then(Vec::new));
        }
        // Alternatives in `q`: useful if one of them is.
        if let Pat::Or(alts) = q[0] {
            for a in alts {
                let mut q2 = q.clone();
                q2[0] = a;
                if let Some(w) = self.go(rows.clone(), q2, shapes.clone(), depth + 1)? {
                    return Ok(Some(w));
                }
            }
            return Ok(None);
        }
        // Alternatives in a row: one row per alternative.
        let mut flat: Vec<Vec<&'p Pat>> = Vec::with_capacity(rows.len());
        for r in rows {
            self.expand_or(r, &mut flat)?;
        }
        let rows = flat;
        let shape = shapes[0];
        if let Some(fields) = shape.fields() {
            return self.product(rows, q, shapes, fields, depth);
        }
        match shape.bounds() {
            Some(bounds) => self.ranges(rows, q, shapes, bounds, depth),
            // An opaque column: every pattern in it is `_` or a name.
            None => {
                let rows = rows.into_iter().map(|r| r[1..].to_vec()).collect();
                let w = self.go(rows, q[1..].to_vec(), shapes[1..].to_vec(), depth + 1)?;
                Ok(w.map(|w| prepend(Witness::Any, w)))
            }
        }
    }

    fn expand_or<'p>(
        &mut self,
        row: Vec<&'p Pat>,
        out: &mut Vec<Vec<&'p Pat>>,
    ) -> Result<(), TooComplex> {
        match row[0] {
            Pat::Or(alts) => {
                for a in alts {
                    self.spend(row.len())?;
                    let mut r = row.clone();
                    r[0] = a;
                    self.expand_or(r, out)?;
                }
            }
            _ => out.push(row),
        }
        Ok(())
    }

    /// A tuple or struct column becomes one column per field.
    fn product<'p, 's>(
        &mut self,
        rows: Vec<Vec<&'p Pat>>,
        q: Vec<&'p Pat>,
        shapes: Vec<&'s Shape>,
        fields: &'s [Shape],
        depth: usize,
    ) -> Result<Option<Vec<Witness>>, TooComplex> {
        let n = fields.len();
        let open = |row: &[&'p Pat]| -> Vec<&'p Pat> {
            let mut out: Vec<&'p Pat> = match row[0] {
                Pat::Fields(ps) => ps.iter().collect(),
                _ => vec![&ANY; n],
            };
            out.extend_from_slice(&row[1..]);
            out
        };
        let rows: Vec<Vec<&Pat>> = rows.iter().map(|r| open(r)).collect();
        self.spend(rows.len() * (n + 1))?;
        let q2 = open(&q);
        let mut shapes2: Vec<&Shape> = fields.iter().collect();
        shapes2.extend_from_slice(&shapes[1..]);
        let Some(mut w) = self.go(rows, q2, shapes2, depth + 1)? else {
            return Ok(None);
        };
        let rest = w.split_off(n);
        Ok(Some(prepend(Witness::Fields(w), rest)))
    }

    /// An integer or `bool` column: the values `q` matches are split where
    /// some pattern of the column starts or ends (and at 0), and each piece
    /// is tried with the rows that match all of it. Pieces are tried in
    /// the order 0, 1, ..., then the negative values from the most negative,
    /// so the first value reported missing is the smallest such.
    fn ranges<'p>(
        &mut self,
        rows: Vec<Vec<&'p Pat>>,
        q: Vec<&'p Pat>,
        shapes: Vec<&Shape>,
        (lo, hi): (BigInt, BigInt),
        depth: usize,
    ) -> Result<Option<Vec<Witness>>, TooComplex> {
        let (qlo, qhi) = match q[0] {
            Pat::Range(a, b) => (a.clone().max(lo), b.clone().min(hi)),
            _ => (lo, hi),
        };
        if qlo > qhi {
            return Ok(None);
        }
        let one = BigInt::from(1);
        let inside = |p: &BigInt| *p > qlo && *p <= qhi;
        let mut starts: Vec<BigInt> = vec![qlo.clone()];
        let zero = BigInt::from(0);
        if inside(&zero) {
            starts.push(zero.clone());
        }
        for r in &rows {
            if let Pat::Range(a, b) = r[0] {
                for p in [a.clone(), b + &one] {
                    if inside(&p) {
                        starts.push(p);
                    }
                }
            }
        }
        self.spend(starts.len())?;
        starts.sort();
        starts.dedup();
        let mut pieces: Vec<(BigInt, BigInt)> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let end = starts.get(i + 1).map_or(qhi.clone(), |n| n - &one);
                (s.clone(), end)
            })
            .collect();
        // 0, 1, ... first, then the negative values.
        pieces.sort_by_key(|(s, _)| (*s < zero, s.clone()));
        let mut tried: HashSet<Vec<usize>> = HashSet::new();
        for (s, e) in pieces {
            self.spend(rows.len())?;
            let matching: Vec<usize> = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| match r[0] {
                    Pat::Range(a, b) => *a <= s && e <= *b,
                    _ => true,
                })
                .map(|(i, _)| i)
                .collect();
            if !tried.insert(matching.clone()) {
                continue;
            }
            let sub = matching.iter().map(|&i| rows[i][1..].to_vec()).collect();
            if let Some(w) = self.go(sub, q[1..].to_vec(), shapes[1..].to_vec(), depth + 1)? {
                return Ok(Some(prepend(Witness::Range(s, e), w)));
            }
        }
        Ok(None)
    }
}

fn prepend(first: Witness, rest: Vec<Witness>) -> Vec<Witness> {
    let mut all = Vec::with_capacity(rest.len() + 1);
    all.push(first);
    all.extend(rest);
    all
}

/// A witness written as a pattern a user could add: `3`, `1..=255`,
/// `(0, true)`, `P { x: 1..=255, .. }`; `_` where any value is missing.
pub(super) fn render(w: &Witness, shape: &Shape) -> String {
    match (w, shape) {
        (Witness::Any, _) | (_, Shape::Opaque) => "_".into(),
        (Witness::Range(lo, hi), Shape::Bool) => match (lo == hi, lo == &BigInt::from(0)) {
            (true, true) => "false".into(),
            (true, false) => "true".into(),
            _ => "_".into(),
        },
        (
            Witness::Range(lo, hi),
            Shape::Int {
                lo: tlo,
                hi: thi,
                bounded,
            },
        ) => {
            if !bounded || lo == hi {
                lo.to_string()
            } else if lo == tlo && hi == thi {
                "_".into()
            } else {
                format!("{lo}..={hi}")
            }
        }
        (Witness::Fields(ws), Shape::Tuple(ss)) => {
            let parts: Vec<String> = ws.iter().zip(ss).map(|(w, s)| render(w, s)).collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        (Witness::Fields(ws), Shape::Struct(st, ss)) => {
            let mut parts: Vec<String> = Vec::new();
            let mut rest = false;
            for ((w, s), (name, _)) in ws.iter().zip(ss).zip(&st.fields) {
                let r = render(w, s);
                if r == "_" {
                    rest = true;
                } else {
                    parts.push(format!("{name}: {r}"));
                }
            }
            if rest {
                parts.push("..".into());
            }
            if parts.is_empty() {
                format!("{} {{}}", st.name)
            } else {
                format!("{} {{ {} }}", st.name, parts.join(", "))
            }
        }
        (Witness::Fields(_), _) | (Witness::Range(..), _) => "_".into(),
    }
}

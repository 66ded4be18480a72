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

/// Units of work (pattern cells visited) one `match` may take.
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
    budget: u64,
}

impl Checker {
    pub(super) fn new() -> Checker {
        Checker::with_budget(BUDGET)
    }

    fn with_budget(budget: u64) -> Checker {
        Checker { work: 0, budget }
    }

    /// The units of work spent so far.
    pub(super) fn work(&self) -> u64 {
        self.work
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
        if self.work > self.budget {
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
        if q.len() == 1 {
            return self.last_column(&rows, qlo, qhi);
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
        let pieces: Vec<(BigInt, BigInt)> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let end = starts.get(i + 1).map_or(qhi.clone(), |n| n - &one);
                (s.clone(), end)
            })
            .collect();
        // The rows with a range in this column, by piece: each range spans
        // whole pieces (they are cut at every bound), found by binary
        // search. Rows with `_` there match every piece.
        let mut ranged: Vec<Vec<usize>> = vec![Vec::new(); pieces.len()];
        let mut open: Vec<usize> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let Pat::Range(a, b) = r[0] else {
                open.push(i);
                continue;
            };
            let first = starts.partition_point(|s| s < a);
            let last = starts.partition_point(|s| s <= b);
            self.spend(last.saturating_sub(first))?;
            for set in ranged.iter_mut().take(last).skip(first) {
                set.push(i);
            }
        }
        // 0, 1, ... first, then the negative values.
        let mut order: Vec<usize> = (0..pieces.len()).collect();
        order.sort_by_key(|&k| (pieces[k].0 < zero, k));
        let mut tried: HashSet<&[usize]> = HashSet::new();
        for k in order {
            // Pieces matched by the same rows ask the same question.
            if !tried.insert(&ranged[k]) {
                continue;
            }
            self.spend(ranged[k].len() + open.len())?;
            let sub = ranged[k]
                .iter()
                .chain(&open)
                .map(|&i| rows[i][1..].to_vec())
                .collect();
            if let Some(w) = self.go(sub, q[1..].to_vec(), shapes[1..].to_vec(), depth + 1)? {
                let (s, e) = pieces[k].clone();
                return Ok(Some(prepend(Witness::Range(s, e), w)));
            }
        }
        Ok(None)
    }
}

impl Checker {
    /// The last column (a whole scalar `match`, or the end of a product):
    /// the values of `qlo..=qhi` no row covers, from the union of the rows'
    /// intervals in O(n log n), so a table of thousands of literal arms is
    /// checked at once.
    fn last_column(
        &mut self,
        rows: &[Vec<&Pat>],
        qlo: BigInt,
        qhi: BigInt,
    ) -> Result<Option<Vec<Witness>>, TooComplex> {
        self.spend(rows.len())?;
        let mut spans: Vec<(&BigInt, &BigInt)> = Vec::with_capacity(rows.len());
        for r in rows {
            match r[0] {
                Pat::Range(a, b) => spans.push((a, b)),
                _ => return Ok(None),
            }
        }
        spans.sort();
        let one = BigInt::from(1);
        // Gaps between the merged intervals, in increasing order.
        let mut gaps: Vec<(BigInt, BigInt)> = Vec::new();
        let mut next = qlo;
        for (a, b) in spans {
            if *a > next {
                gaps.push((next.clone(), (a - &one).min(qhi.clone())));
            }
            if *b >= next {
                next = b + &one;
            }
            if next > qhi {
                break;
            }
        }
        if next <= qhi {
            gaps.push((next, qhi));
        }
        gaps.retain(|(a, b)| a <= b);
        // The smallest value from 0 up, else the most negative one.
        let zero = BigInt::from(0);
        let gap = match gaps.iter().find(|(_, b)| *b >= zero) {
            Some((a, b)) => (a.clone().max(zero), b.clone()),
            None => match gaps.into_iter().next() {
                Some(g) => g,
                None => return Ok(None),
            },
        };
        Ok(Some(vec![Witness::Range(gap.0, gap.1)]))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: i64, b: i64) -> Pat {
        Pat::Range(BigInt::from(a), BigInt::from(b))
    }

    fn missing(rows: &[Pat], shape: &Shape) -> Option<String> {
        let rows: Vec<&Pat> = rows.iter().collect();
        Checker::new()
            .useful(&rows, &Pat::Any, shape)
            .unwrap()
            .map(|w| render(&w, shape))
    }

    #[test]
    fn the_first_missing_value_is_the_smallest_from_zero_up_then_the_negatives() {
        let i8s = Shape::of(&Ty::SInt(8));
        assert_eq!(
            missing(&[range(0, 127)], &i8s).as_deref(),
            Some("-128..=-1")
        );
        assert_eq!(
            missing(&[range(-128, 4), range(6, 127)], &i8s).as_deref(),
            Some("5")
        );
        assert_eq!(
            missing(&[range(-128, -2), range(0, 127)], &i8s).as_deref(),
            Some("-1")
        );
        assert_eq!(missing(&[range(-128, 127)], &i8s), None);
        let wide = Shape::of(&Ty::UInt(64));
        assert_eq!(missing(&[range(1, i64::MAX)], &wide).as_deref(), Some("0"));
    }

    #[test]
    fn products_need_every_combination() {
        let pair = Shape::of(&Ty::Tuple(vec![Ty::Bool, Ty::Bool]));
        let t = || range(1, 1);
        let f = || range(0, 0);
        let rows = [
            Pat::Fields(vec![t(), Pat::Any]),
            Pat::Fields(vec![Pat::Any, t()]),
        ];
        assert_eq!(missing(&rows, &pair).as_deref(), Some("(false, false)"));
        let all = [
            Pat::Fields(vec![t(), Pat::Any]),
            Pat::Or(vec![
                Pat::Fields(vec![f(), t()]),
                Pat::Fields(vec![f(), f()]),
            ]),
        ];
        assert_eq!(missing(&all, &pair), None);
    }

    /// Every combination of 12 `bool`s but one: found, and with a small
    /// budget the check gives up instead of running on.
    #[test]
    fn the_check_runs_on_a_budget() {
        let n = 12;
        let shape = Shape::of(&Ty::Tuple(vec![Ty::Bool; n]));
        let rows: Vec<Pat> = (1..1u32 << n)
            .map(|k| {
                Pat::Fields(
                    (0..n)
                        .map(|i| range((k >> i & 1) as i64, (k >> i & 1) as i64))
                        .collect(),
                )
            })
            .collect();
        let refs: Vec<&Pat> = rows.iter().collect();
        let w = Checker::new()
            .useful(&refs, &Pat::Any, &shape)
            .unwrap()
            .unwrap();
        assert_eq!(
            render(&w, &shape),
            format!("({})", vec!["false"; n].join(", "))
        );
        assert!(Checker::with_budget(10_000)
            .useful(&refs, &Pat::Any, &shape)
            .is_err());
    }
}

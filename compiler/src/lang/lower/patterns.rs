//! One `match` pattern checked against the scrutinee's value: the signal
//! that the value matches it, its form for the exhaustiveness check
//! ([`exhaustive::Pat`]), and the names it binds.
//!
//! A tuple or struct pattern is the AND of its parts' conditions and a set
//! of alternatives their OR, so on a secret value a pattern costs what the
//! same test written with `==`, `<=` and `&&` in an `if` costs; a part that
//! is `_` or a name costs nothing.

use super::exhaustive::Pat;
use super::*;

/// What one pattern gives.
pub(super) struct Matched<'a> {
    /// Whether the value matches (a constant if that is known).
    pub cond: Lit,
    pub pat: Pat,
    /// The names it binds and their values, each name once.
    pub binds: Vec<(&'a Ident, Val)>,
}

/// Where a set of alternatives stands, for the wording of its errors.
#[derive(Clone, Copy)]
pub(super) enum Alts {
    /// The alternatives of a whole arm: `p | q => ...`.
    Arm,
    /// Alternatives nested in a pattern: `(p | q, ..)`, `n @ (p | q)`.
    Nested,
}

impl<'a> Lower<'a> {
    /// Checks `p` against the value `v`; `None` after a diagnostic.
    pub(super) fn match_pattern(&mut self, p: &'a MatchPat, v: &Val) -> Option<Matched<'a>> {
        let ty = v.ty()?;
        let any = |binds| {
            Some(Matched {
                cond: Lit::TRUE,
                pat: Pat::Any,
                binds,
            })
        };
        match &p.kind {
            PatKind::Wild => any(Vec::new()),
            PatKind::Bind(name) => any(vec![(name, v.clone())]),
            PatKind::At(name, inner) => {
                let mut m = self.match_pattern(inner, v)?;
                let mut binds = vec![(name, v.clone())];
                let ok = self.join_binds(&mut binds, std::mem::take(&mut m.binds));
                m.binds = binds;
                ok.then_some(m)
            }
            PatKind::Int(n) => {
                let cond = match v {
                    Val::Int(x) => Lit::from_bool(x == n),
                    Val::Bits(t, s) if t.is_int() => {
                        let pv = self.coerce(Val::Int(n.clone()), t, p.span, "the pattern");
                        let Val::Bits(_, pb) = pv else {
                            return None;
                        };
                        g::equal(&mut self.b, s, &pb)
                    }
                    _ => return self.wrong_pattern(p.span, &ty, &n.to_string()),
                };
                Some(Matched {
                    cond,
                    pat: Pat::Range(n.clone(), n.clone()),
                    binds: Vec::new(),
                })
            }
            PatKind::Range { lo, hi, inclusive } => {
                let hi = if *inclusive { hi.clone() } else { hi - 1 };
                let cond = self.range_cond(v, &ty, lo, &hi, p.span)?;
                Some(Matched {
                    cond,
                    pat: Pat::Range(lo.clone(), hi),
                    binds: Vec::new(),
                })
            }
            PatKind::Bool(b) => {
                let Val::Bits(Ty::Bool, s) = v else {
                    return self.wrong_pattern(p.span, &ty, &b.to_string());
                };
                let k = BigInt::from(*b as u8);
                Some(Matched {
                    cond: if *b { s[0] } else { !s[0] },
                    pat: Pat::Range(k.clone(), k),
                    binds: Vec::new(),
                })
            }
            PatKind::Tuple(ps) => {
                let vs = match v {
                    Val::Tuple(vs) if vs.len() == ps.len() => vs,
                    Val::Tuple(vs) => {
                        self.err(Error::new(
                            p.span,
                            format!(
                                "mismatched types: this pattern has {} element{}, but the value, a `{ty}`, has {}",
                                ps.len(),
                                if ps.len() == 1 { "" } else { "s" },
                                vs.len()
                            ),
                        ));
                        return None;
                    }
                    _ => return self.wrong_pattern(p.span, &ty, "a tuple"),
                };
                self.all_of(ps.iter().zip(vs))
            }
            PatKind::Struct { name, fields, rest } => {
                self.struct_pattern(p.span, name, fields, *rest, v, &ty)
            }
            PatKind::Or(alts) => {
                let mut ms = Vec::with_capacity(alts.len());
                let mut ok = true;
                for a in alts {
                    match self.match_alternative(a, v, alts.len()) {
                        Some(m) => ms.push((a.span, m)),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                self.merge_alternatives(ms, Alts::Nested)
            }
        }
    }

    /// One of several alternatives: a bare name is refused (it would match
    /// every value, so the others would never be tried).
    pub(super) fn match_alternative(
        &mut self,
        p: &'a MatchPat,
        v: &Val,
        count: usize,
    ) -> Option<Matched<'a>> {
        if let (PatKind::Bind(name), true) = (&p.kind, count > 1) {
            self.err(
                Error::new(
                    p.span,
                    format!("`{}` cannot be one of several alternatives", name.name),
                )
                .label("binds every value")
                .hint("a name matches every value: give it an arm of its own, last"),
            );
            return None;
        }
        self.match_pattern(p, v)
    }

    /// The patterns of a tuple's or struct's parts, all of which must
    /// match: the AND of their conditions.
    fn all_of<'v>(
        &mut self,
        parts: impl Iterator<Item = (&'a MatchPat, &'v Val)>,
    ) -> Option<Matched<'a>> {
        let mut cond = Lit::TRUE;
        let mut pats = Vec::new();
        let mut binds = Vec::new();
        let mut ok = true;
        for (p, v) in parts {
            match self.match_pattern(p, v) {
                Some(m) => {
                    cond = self.b.and(cond, m.cond);
                    pats.push(m.pat);
                    ok &= self.join_binds(&mut binds, m.binds);
                }
                None => ok = false,
            }
        }
        ok.then_some(Matched {
            cond,
            pat: Pat::Fields(pats),
            binds,
        })
    }

    /// `P { x: 0, y, .. }` against a value of struct type: fields by name;
    /// the fields left out (allowed with `..`) match anything.
    fn struct_pattern(
        &mut self,
        span: Span,
        name: &'a Ident,
        fields: &'a [(Ident, MatchPat)],
        rest: bool,
        v: &Val,
        ty: &Ty,
    ) -> Option<Matched<'a>> {
        // The struct's own name, or an alias of it (`type Q = P;`).
        let (st, vs) = match v {
            Val::Struct(st, vs) if st.name == name.name => (st, vs),
            _ if !self.types.contains_key(name.name.as_str()) => {
                self.unknown_type(name);
                return None;
            }
            Val::Struct(st, vs) if self.named_type(name) == Some(Ty::Struct(st.clone())) => {
                (st, vs)
            }
            _ => {
                self.err(
                    Error::new(
                        name.span,
                        format!(
                            "mismatched types: this pattern takes a `{}`, but the value is a `{ty}`",
                            name.name
                        ),
                    )
                    .label(format!("expected `{ty}`")),
                );
                return None;
            }
        };
        let mut by_field: Vec<Option<&'a MatchPat>> = vec![None; st.fields.len()];
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut ok = true;
        for (f, p) in fields {
            if let Some(&first) = seen.get(f.name.as_str()) {
                self.err(
                    Error::new(
                        f.span,
                        format!("field `{}` appears more than once in this pattern", f.name),
                    )
                    .secondary(first, "first here"),
                );
                ok = false;
                continue;
            }
            seen.insert(&f.name, f.span);
            match st.field(&f.name) {
                Some(i) => by_field[i] = Some(p),
                None => {
                    self.no_field(st, f);
                    ok = false;
                }
            }
        }
        if self.missing_fields(
            st,
            &seen,
            rest,
            span,
            "name them, or end the pattern with `..` to match any value there",
        ) {
            ok = false;
        }
        if !ok {
            return None;
        }
        // Fields not named match anything and cost nothing.
        let mut cond = Lit::TRUE;
        let mut pats = Vec::with_capacity(vs.len());
        let mut binds = Vec::new();
        let mut failed = false;
        for (p, fv) in by_field.iter().zip(vs) {
            let Some(p) = p else {
                pats.push(Pat::Any);
                continue;
            };
            match self.match_pattern(p, fv) {
                Some(m) => {
                    cond = self.b.and(cond, m.cond);
                    pats.push(m.pat);
                    failed |= !self.join_binds(&mut binds, m.binds);
                }
                None => failed = true,
            }
        }
        (!failed).then_some(Matched {
            cond,
            pat: Pat::Fields(pats),
            binds,
        })
    }

    /// Adds `more` to `binds`; a name bound twice in one pattern is an
    /// error, as in Rust (false after it).
    #[must_use]
    fn join_binds(
        &mut self,
        binds: &mut Vec<(&'a Ident, Val)>,
        more: Vec<(&'a Ident, Val)>,
    ) -> bool {
        let mut ok = true;
        for (n, v) in more {
            if let Some((first, _)) = binds.iter().find(|(b, _)| b.name == n.name) {
                let first = first.span;
                self.err(
                    Error::new(
                        n.span,
                        format!("`{}` is bound more than once in this pattern", n.name),
                    )
                    .secondary(first, "first bound here")
                    .hint("use another name for one of them; to require two parts to be equal, compare them in the arm"),
                );
                ok = false;
                continue;
            }
            binds.push((n, v));
        }
        ok
    }

    /// Alternatives `p | q`: matched if one is, binding the same names (of
    /// the same types) in each. A name takes its value from the first
    /// alternative that matches: a multiplexer per alternative where the
    /// alternatives bind different parts of the value, none where they
    /// bind the same (`n @ (1 | 2)`).
    pub(super) fn merge_alternatives(
        &mut self,
        mut alts: Vec<(Span, Matched<'a>)>,
        at: Alts,
    ) -> Option<Matched<'a>> {
        if alts.len() == 1 {
            return alts.pop().map(|(_, m)| m);
        }
        let names = |m: &Matched<'a>| -> Vec<&'a str> {
            let mut ns: Vec<&str> = m.binds.iter().map(|(n, _)| n.name.as_str()).collect();
            ns.sort_unstable();
            ns
        };
        let first = names(&alts[0].1);
        for (span, m) in &alts[1..] {
            let these = names(m);
            if these == first {
                continue;
            }
            let lacking = first.iter().find(|n| !these.contains(n));
            let extra = these.iter().find(|n| !first.contains(n));
            let named = lacking.or(extra).copied().unwrap_or_default();
            let whose = match at {
                Alts::Arm => "this arm",
                Alts::Nested => "these alternatives",
            };
            self.err(
                Error::new(
                    *span,
                    format!("every alternative of {whose} must bind `{named}`"),
                )
                .label(match (lacking, extra) {
                    (Some(_), Some(e)) => format!("binds `{e}` instead"),
                    (Some(l), None) => format!("does not bind `{l}`"),
                    _ => "binds a name the first alternative does not".to_string(),
                })
                .hint(format!(
                    "write `{named} @ (1 | 5..=9)` to name what either alternative matches, or give them arms of their own"
                )),
            );
            return None;
        }
        for (span, m) in &alts[1..] {
            for (n, v) in &m.binds {
                let (_, v0) = alts[0].1.binds.iter().find(|(b, _)| b.name == n.name)?;
                let (t0, t) = (v0.ty(), v.ty());
                if t0 != t {
                    let show = |t: Option<Ty>| t.map(|t| t.to_string()).unwrap_or_default();
                    self.err(
                        Error::new(
                            *span,
                            format!(
                                "`{}` is a `{}` in the first alternative and a `{}` in this one",
                                n.name,
                                show(t0),
                                show(t)
                            ),
                        )
                        .secondary(n.span, "bound here"),
                    );
                    return None;
                }
            }
        }
        // From the last alternative: an earlier one takes precedence.
        let (_, mut merged) = alts.pop()?;
        let mut pats = vec![merged.pat];
        while let Some((_, m)) = alts.pop() {
            let mut binds = Vec::with_capacity(m.binds.len());
            for (n, v) in m.binds {
                let later = merged
                    .binds
                    .iter()
                    .position(|(b, _)| b.name == n.name)
                    .map(|i| merged.binds.swap_remove(i).1)?;
                let v = match m.cond.constant() {
                    _ if v == later => v,
                    Some(true) => v,
                    Some(false) => later,
                    None => {
                        let mv = self.mux_val(m.cond, v, later);
                        if mv == Val::Error {
                            self.err(
                                Error::new(
                                    n.span,
                                    format!(
                                        "`{}` is a different untyped constant in each alternative",
                                        n.name
                                    ),
                                )
                                .hint("give the value a type where it is written, e.g. `3 as u8`"),
                            );
                            return None;
                        }
                        mv
                    }
                };
                binds.push((n, v));
            }
            merged.binds = binds;
            merged.cond = self.b.or(m.cond, merged.cond);
            pats.push(m.pat);
        }
        pats.reverse();
        merged.pat = Pat::Or(pats);
        Some(merged)
    }

    fn wrong_pattern(&mut self, span: Span, ty: &Ty, found: &str) -> Option<Matched<'a>> {
        self.err(Error::new(
            span,
            format!("mismatched types: expected a `{ty}` pattern, found `{found}`"),
        ));
        None
    }

    /// Whether the scrutinee `sv` of type `ty` lies in `lo..=hi`; `None`
    /// (after a diagnostic) if the range is empty or outside the type.
    /// Cost on a secret: one comparison per bound that excludes values.
    fn range_cond(
        &mut self,
        sv: &Val,
        ty: &Ty,
        lo: &BigInt,
        hi: &BigInt,
        span: Span,
    ) -> Option<Lit> {
        if lo > hi {
            self.err(
                Error::new(span, "empty range pattern")
                    .label("matches no value")
                    .hint(
                        "write the smaller bound first: `lo..=hi` includes `hi`, `lo..hi` does not",
                    ),
            );
            return None;
        }
        match sv {
            Val::Int(x) => Some(Lit::from_bool(lo <= x && x <= hi)),
            Val::Bits(t, s) if t.is_int() => {
                let lo_v = self.coerce(Val::Int(lo.clone()), t, span, "the range's start");
                let hi_v = self.coerce(Val::Int(hi.clone()), t, span, "the range's end");
                let (Val::Bits(_, lb), Val::Bits(_, hb)) = (lo_v, hi_v) else {
                    return None;
                };
                let signed = matches!(t, Ty::SInt(_));
                let above_lo = !g::less(&mut self.b, s, &lb, signed);
                let below_hi = !g::less(&mut self.b, &hb, s, signed);
                Some(self.b.and(above_lo, below_hi))
            }
            _ => {
                self.err(Error::new(
                    span,
                    format!("mismatched types: a range pattern needs an integer, found `{ty}`"),
                ));
                None
            }
        }
    }
}

//! `match` on an integer or `bool` with literal and range patterns (or a
//! name, which binds the value in its arm): a known scrutinee
//! picks its arm at compile time; a secret one compares it with each
//! pattern and selects, like a chain of `if`/`else`, merging every variable
//! the arms change with multiplexers.

use super::*;

/// The name `n` of an `n @ PAT` pattern.
fn at_name(p: &MatchPat) -> Option<&str> {
    match &p.kind {
        PatKind::At(n, _) => Some(n.name.as_str()),
        _ => None,
    }
}

/// One arm that may run: its condition, value and the mutable variables
/// as it left them (`None`: not mutable or not in the current function).
struct Ran {
    cond: Lit,
    val: Val,
    span: Span,
    vars: Vec<Option<Val>>,
}

impl<'a> Lower<'a> {
    /// As in Rust, the alternatives of an arm bind the same names: every
    /// one is `n @ ..` with one `n`, or none names the value.
    fn same_at_names(&mut self, arm: &Arm) -> bool {
        let at = at_name;
        let first = at(&arm.pats[0]);
        for p in &arm.pats[1..] {
            if at(p) != first {
                let named = first.or(at(p)).unwrap_or_default();
                self.err(
                    Error::new(
                        p.span,
                        format!("every alternative of this arm must bind `{named}`"),
                    )
                    .label(match at(p) {
                        Some(n) if first.is_some() => format!("binds `{n}` instead"),
                        Some(_) => "binds a name the first alternative does not".to_string(),
                        None => format!("does not bind `{named}`"),
                    })
                    .hint(format!(
                        "write `{named} @` before each alternative (`{named} @ 1 | {named} @ 5..=9`), or give them arms of their own"
                    )),
                );
                return false;
            }
        }
        true
    }

    pub(super) fn match_expr(
        &mut self,
        scrut: &'a Expr,
        arms: &'a [Arm],
        span: Span,
        want: Option<&Ty>,
    ) -> Val {
        let sv = self.expr(scrut);
        if sv == Val::Error {
            return Val::Error;
        }
        let ty = match sv.ty() {
            Some(t @ (Ty::Bool | Ty::UInt(_) | Ty::SInt(_) | Ty::Int)) => t,
            other => {
                // Struct and tuple patterns in `match` are not supported:
                // say what works instead.
                let hint = match &other {
                    Some(Ty::Struct(st)) => format!(
                        "match on a field (`match v.{} {{ .. }}`), destructure first (`let {} {{ .. }} = v;`), or compare with `==` in an `if`",
                        st.fields.first().map_or("x", |(n, _)| n.as_str()),
                        st.name
                    ),
                    Some(Ty::Tuple(_)) => "match on an element (`match v.0 { .. }`), destructure first (`let (a, b) = v;`), or compare with `==` in an `if`".to_string(),
                    _ => "compare other values with `==` in an `if`".to_string(),
                };
                let t = other.map(|t| t.to_string()).unwrap_or_default();
                return self.err(
                    Error::new(
                        scrut.span,
                        format!("`match` works on integers and `bool`, found `{t}`"),
                    )
                    .hint(hint),
                );
            }
        };
        // Each arm's condition (OR of its patterns) and the values covered.
        let mut conds = Vec::with_capacity(arms.len());
        // Inclusive intervals of the values the patterns name.
        let mut covered: Vec<(BigInt, BigInt)> = Vec::new();
        // The name each arm binds the value to, if any.
        let mut binds: Vec<Option<&'a Ident>> = Vec::with_capacity(arms.len());
        let mut wild_at: Option<Span> = None;
        let mut bad = false;
        for arm in arms {
            if let Some(w) = wild_at {
                self.err(
                    Error::new(arm.span, "unreachable `match` arm")
                        .label("never runs")
                        .secondary(w, "this `_` matches every value")
                        .hint("put the `_` arm last"),
                );
                bad = true;
                break;
            }
            let mut cond = Lit::FALSE;
            let mut bind = None;
            if !self.same_at_names(arm) {
                bad = true;
            }
            for p in &arm.pats {
                // `n @ PAT` matches as PAT does and names the value.
                let p = match &p.kind {
                    PatKind::At(name, inner) => {
                        bind = Some(name);
                        &**inner
                    }
                    _ => p,
                };
                let c = match &p.kind {
                    PatKind::At(..) => continue,
                    PatKind::Wild => {
                        wild_at = Some(p.span);
                        Lit::TRUE
                    }
                    PatKind::Bind(name) => {
                        if arm.pats.len() > 1 {
                            self.err(
                                Error::new(
                                    p.span,
                                    format!(
                                        "`{}` cannot be one of several alternatives",
                                        name.name
                                    ),
                                )
                                .label("binds every value")
                                .hint(
                                    "a name matches every value: give it an arm of its own, last",
                                ),
                            );
                            bad = true;
                            continue;
                        }
                        wild_at = Some(p.span);
                        bind = Some(name);
                        Lit::TRUE
                    }
                    PatKind::Range { lo, hi, inclusive } => {
                        let hi = if *inclusive { hi.clone() } else { hi - 1 };
                        match self.range_cond(&sv, &ty, lo, &hi, p.span) {
                            Some(c) => {
                                covered.push((lo.clone(), hi));
                                c
                            }
                            None => {
                                bad = true;
                                continue;
                            }
                        }
                    }
                    PatKind::Bool(b) => {
                        if ty != Ty::Bool {
                            self.err(Error::new(
                                p.span,
                                format!("mismatched types: expected a `{ty}` pattern, found `{b}`"),
                            ));
                            bad = true;
                            continue;
                        }
                        let v = BigInt::from(*b as u8);
                        covered.push((v.clone(), v));
                        let Val::Bits(_, s) = &sv else { continue };
                        if *b {
                            s[0]
                        } else {
                            !s[0]
                        }
                    }
                    PatKind::Int(n) => match &sv {
                        Val::Int(x) => {
                            covered.push((n.clone(), n.clone()));
                            Lit::from_bool(x == n)
                        }
                        Val::Bits(t, s) => {
                            let pv = self.coerce(Val::Int(n.clone()), t, p.span, "the pattern");
                            let Val::Bits(_, pb) = pv else {
                                bad = true;
                                continue;
                            };
                            covered.push((n.clone(), n.clone()));
                            g::equal(&mut self.b, s, &pb)
                        }
                        _ => continue,
                    },
                };
                cond = self.b.or(cond, c);
            }
            conds.push(cond);
            binds.push(bind);
        }
        if bad {
            return Val::Error;
        }
        let exhaustive = wild_at.is_some() || self.check_exhaustive(&ty, &covered, scrut.span);
        if !exhaustive {
            return Val::Error;
        }
        // Run the arms that may match, each from the same state, until one
        // surely matches (the last always may: the match is exhaustive).
        let mark = self.vars.len();
        let saved: Vec<Option<Val>> = self.vars[..mark]
            .iter()
            .enumerate()
            .map(|(i, b)| (i >= self.base && b.mutable).then(|| b.val.clone()))
            .collect();
        let mut ran: Vec<Ran> = Vec::new();
        for (i, ((arm, &cond), bind)) in arms.iter().zip(&conds).zip(&binds).enumerate() {
            let cond = if i + 1 == arms.len() { Lit::TRUE } else { cond };
            if cond.constant() == Some(false) {
                continue;
            }
            if !ran.is_empty() {
                for (j, s) in saved.iter().enumerate() {
                    if let Some(s) = s {
                        self.vars[j].val = s.clone();
                    }
                }
            }
            let bound = self.vars.len();
            if let Some(name) = bind {
                let decl = self.declare(name, "variable");
                self.vars.push(Binding {
                    name: name.name.clone(),
                    val: sv.clone(),
                    mutable: false,
                    decl,
                });
            }
            let val = self.expr_as(&arm.body, want);
            self.vars.truncate(bound);
            let vars = saved
                .iter()
                .enumerate()
                .map(|(j, s)| s.as_ref().map(|_| self.vars[j].val.clone()))
                .collect();
            ran.push(Ran {
                cond,
                val,
                span: arm.body.span,
                vars,
            });
            if cond.constant() == Some(true) || self.aborted {
                break;
            }
        }
        if ran.iter().any(|r| r.val == Val::Error) {
            return Val::Error;
        }
        // One type for every arm's value: the first typed one's.
        if let Some(t) = ran
            .iter()
            .filter_map(|r| r.val.ty())
            .find(|t| !contains_int(t))
        {
            let mut failed = false;
            for r in &mut ran {
                let v = std::mem::replace(&mut r.val, Val::Error);
                r.val = self.coerce(v, &t, r.span, "every `match` arm");
                failed |= r.val == Val::Error;
            }
            if failed {
                return Val::Error;
            }
        }
        // Fold from the last arm: earlier arms take precedence.
        let Some(last) = ran.pop() else {
            return Val::Error;
        };
        let (mut val, mut vars) = (last.val, last.vars);
        while let Some(r) = ran.pop() {
            let merged = self.mux_val(r.cond, r.val, val);
            if merged == Val::Error {
                return self.err(
                    Error::new(
                        span,
                        "the arms of a secret `match` give different untyped constants",
                    )
                    .hint("give the result a type, e.g. `0 => 1 as u8,`"),
                );
            }
            val = merged;
            for (j, v) in r.vars.into_iter().enumerate() {
                let (Some(t), Some(f)) = (v, vars[j].take()) else {
                    continue;
                };
                let m = if t == f {
                    t
                } else if t == Val::Error || f == Val::Error {
                    Val::Error
                } else {
                    let m = self.mux_val(r.cond, t, f);
                    if m == Val::Error {
                        let name = self.vars[j].name.clone();
                        self.err(
                            Error::new(span, format!("`{name}` gets different untyped constants in the arms of a secret `match`"))
                                .hint(format!("give `{name}` a type where it is declared, e.g. `let mut {name}: u32 = ...`")),
                        );
                    }
                    m
                };
                vars[j] = Some(m);
            }
        }
        for (j, v) in vars.into_iter().enumerate() {
            if let Some(v) = v {
                self.vars[j].val = v;
            }
        }
        val
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

    /// Whether the patterns' intervals `covered` name every value of `ty`;
    /// if not, reports the first value missing (counting 0, 1, ... and then,
    /// for a signed type, its negative values from the most negative).
    fn check_exhaustive(&mut self, ty: &Ty, covered: &[(BigInt, BigInt)], span: Span) -> bool {
        let (size, signed_w) = match ty {
            Ty::Bool => (Some(BigInt::from(2)), None),
            Ty::UInt(w) => (Some(BigInt::from(1) << *w as usize), None),
            Ty::SInt(w) => (Some(BigInt::from(1) << *w as usize), Some(*w as usize)),
            _ => (None, None),
        };
        // Values in the order counted, `k` = 0, 1, ...: for a signed type
        // the non-negative ones, then from the most negative up to -1.
        let half = signed_w.map(|w| BigInt::from(1) << (w - 1));
        let mut ks: Vec<(BigInt, BigInt)> = Vec::with_capacity(covered.len() + 1);
        for (lo, hi) in covered {
            match (&half, &size) {
                (Some(h), Some(n)) => {
                    if *hi >= BigInt::from(0) {
                        ks.push((lo.clone().max(BigInt::from(0)), hi.clone().min(h - 1)));
                    }
                    if *lo < BigInt::from(0) {
                        let top = hi.clone().min(BigInt::from(-1));
                        ks.push((lo.clone().max(-h.clone()) + n, top + n));
                    }
                }
                _ => ks.push((lo.clone(), hi.clone())),
            }
        }
        ks.sort();
        let mut k = BigInt::from(0);
        for (lo, hi) in &ks {
            if *lo > k {
                break;
            }
            if *hi >= k {
                k = hi + 1;
            }
        }
        if size.as_ref().is_some_and(|n| k >= *n) {
            return true;
        }
        let missing = match (&half, &size) {
            (Some(h), Some(n)) if k >= *h => &k - n,
            _ => k,
        };
        let shown = if *ty == Ty::Bool {
            (missing == BigInt::from(1)).to_string()
        } else {
            missing.to_string()
        };
        self.err(
            Error::new(
                span,
                format!("non-exhaustive `match` on `{ty}`: `{shown}` is not covered"),
            )
            .label(format!("this `{ty}` may be `{shown}`"))
            .hint("add a last arm `_ => ...` for the values no other arm names"),
        );
        false
    }
}

//! `match` on an integer or `bool` with literal patterns: a known scrutinee
//! picks its arm at compile time; a secret one compares it with each
//! pattern and selects, like a chain of `if`/`else`, merging every variable
//! the arms change with multiplexers.

use super::*;

/// One arm that may run: its condition, value and the mutable variables
/// as it left them (`None`: not mutable or not in the current function).
struct Ran {
    cond: Lit,
    val: Val,
    span: Span,
    vars: Vec<Option<Val>>,
}

/// Largest width whose values the exhaustiveness check counts.
const MAX_COUNTED_WIDTH: u32 = 24;

impl<'a> Lower<'a> {
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
                let t = other.map(|t| t.to_string()).unwrap_or_default();
                return self.err(
                    Error::new(
                        scrut.span,
                        format!("`match` works on integers and `bool`, found `{t}`"),
                    )
                    .hint("compare other values with `==` in an `if`"),
                );
            }
        };
        // Each arm's condition (OR of its patterns) and the values covered.
        let mut conds = Vec::with_capacity(arms.len());
        let mut covered: HashSet<BigInt> = HashSet::new();
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
            for p in &arm.pats {
                let c = match &p.kind {
                    PatKind::Wild => {
                        wild_at = Some(p.span);
                        Lit::TRUE
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
                        covered.insert(BigInt::from(*b as u8));
                        let Val::Bits(_, s) = &sv else { continue };
                        if *b {
                            s[0]
                        } else {
                            !s[0]
                        }
                    }
                    PatKind::Int(n) => match &sv {
                        Val::Int(x) => {
                            covered.insert(n.clone());
                            Lit::from_bool(x == n)
                        }
                        Val::Bits(t, s) => {
                            let pv = self.coerce(Val::Int(n.clone()), t, p.span, "the pattern");
                            let Val::Bits(_, pb) = pv else {
                                bad = true;
                                continue;
                            };
                            covered.insert(n.clone());
                            g::equal(&mut self.b, s, &pb)
                        }
                        _ => continue,
                    },
                };
                cond = self.b.or(cond, c);
            }
            conds.push(cond);
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
        for (i, (arm, &cond)) in arms.iter().zip(&conds).enumerate() {
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
            let val = self.expr_as(&arm.body, want);
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

    /// Whether the literal patterns `covered` name every value of `ty`;
    /// if not, reports the first value missing.
    fn check_exhaustive(&mut self, ty: &Ty, covered: &HashSet<BigInt>, span: Span) -> bool {
        let (size, signed_w) = match ty {
            Ty::Bool => (Some(2u64), None),
            Ty::UInt(w) if *w <= MAX_COUNTED_WIDTH => (Some(1u64 << w), None),
            Ty::SInt(w) if *w <= MAX_COUNTED_WIDTH => (Some(1u64 << w), Some(*w)),
            _ => (None, None),
        };
        let value = |k: u64| -> BigInt {
            match signed_w {
                Some(w) if k >= 1u64 << (w - 1) => BigInt::from(k) - BigInt::from(1u64 << w),
                _ => BigInt::from(k),
            }
        };
        if size.is_some_and(|n| covered.len() as u64 >= n) {
            return true;
        }
        // At most `covered.len() + 1` candidates to try.
        let missing = (0..=covered.len() as u64)
            .map(value)
            .find(|v| !covered.contains(v))
            .unwrap_or_default();
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

//! `match`: a known scrutinee picks its arm at compile time; a secret one
//! is compared with each arm's patterns ([`patterns`](super::patterns))
//! and the arms' values are selected like a chain of `if`/`else`, merging
//! every variable the arms change with multiplexers. Before any arm runs,
//! [`exhaustive`](super::exhaustive) checks that the arms cover every value
//! and which arms earlier ones already cover.

use super::exhaustive::{render, Checker, Pat, Shape};
use super::patterns::Alts;
use super::*;

/// One arm that may run: its condition, value and the mutable variables
/// as it left them (`None`: not mutable or not in the current function).
struct Ran {
    cond: Lit,
    val: Val,
    span: Span,
    vars: Vec<Option<Val>>,
}

/// An arm's patterns, checked: the condition, each alternative's form for
/// the exhaustiveness check, and the names the arm binds.
struct ArmMatch<'a> {
    cond: Lit,
    alts: Vec<(Span, Pat)>,
    binds: Vec<(&'a Ident, Val)>,
}

impl<'a> Lower<'a> {
    /// The patterns of one arm against the value `sv`.
    fn arm_match(&mut self, arm: &'a Arm, sv: &Val) -> Option<ArmMatch<'a>> {
        let mut ms = Vec::with_capacity(arm.pats.len());
        let mut ok = true;
        for p in &arm.pats {
            match self.match_alternative(p, sv, arm.pats.len()) {
                Some(m) => ms.push((p.span, m)),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let mut alts: Vec<(Span, Pat)> = ms.iter().map(|(s, m)| (*s, m.pat.clone())).collect();
        let merged = self.merge_alternatives(ms, Alts::Arm)?;
        if alts.len() == 1 {
            alts[0].1 = merged.pat;
        }
        Some(ArmMatch {
            cond: merged.cond,
            alts,
            binds: merged.binds,
        })
    }

    pub(super) fn match_expr(
        &mut self,
        scrut: &'a Expr,
        arms: &'a [Arm],
        span: Span,
        want: Option<&Ty>,
    ) -> Val {
        let sv = self.expr(scrut);
        let Some(ty) = sv.ty() else {
            return Val::Error;
        };
        if let Ty::Array(..) = ty {
            return self.err(
                Error::new(
                    scrut.span,
                    format!("`match` works on integers, `bool`, tuples and structs, found `{ty}`"),
                )
                .hint("match on an element (`match v[0] { .. }`), or compare arrays with `==` in an `if`"),
            );
        }
        let mut matched: Vec<ArmMatch<'a>> = Vec::with_capacity(arms.len());
        // An arm whose pattern matches every value: arms after it never run.
        let mut catch_all: Option<Span> = None;
        let mut bad = false;
        for arm in arms {
            if let Some(w) = catch_all {
                self.err(
                    Error::new(arm.span, "unreachable `match` arm")
                        .label("never runs")
                        .secondary(w, "this pattern matches every value")
                        .hint("put the arm that matches every value last"),
                );
                bad = true;
                break;
            }
            match self.arm_match(arm, &sv) {
                Some(m) => {
                    catch_all = m
                        .alts
                        .iter()
                        .find(|(_, p)| p.irrefutable())
                        .map(|(s, _)| *s);
                    matched.push(m);
                }
                None => bad = true,
            }
        }
        if bad || !self.match_is_exhaustive(&matched, &ty, scrut.span, span) {
            return Val::Error;
        }
        let conds: Vec<Lit> = matched.iter().map(|m| m.cond).collect();
        let binds: Vec<Vec<(&'a Ident, Val)>> = matched.into_iter().map(|m| m.binds).collect();
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
            for (name, v) in bind {
                let decl = self.declare(name, "variable");
                self.vars.push(Binding {
                    name: name.name.clone(),
                    val: v.clone(),
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

    /// Whether the arms cover every value of `ty` (an error names a value
    /// they miss, shaped like a pattern); warns about arms and alternatives
    /// that earlier ones already cover. Checked once per `match` and type,
    /// however often the `match` is evaluated (in a loop, a function called
    /// many times).
    fn match_is_exhaustive(
        &mut self,
        arms: &[ArmMatch<'a>],
        ty: &Ty,
        scrut: Span,
        span: Span,
    ) -> bool {
        let key = (span, ty.to_string());
        if let Some(&ok) = self.match_checked.get(&key) {
            return ok;
        }
        let shape = Shape::of(ty);
        let mut checker = Checker::new();
        let mut rows: Vec<&Pat> = Vec::new();
        let mut warnings = Vec::new();
        // Past the budget, no more warnings (they are advice).
        let mut gave_up = false;
        for (i, arm) in arms.iter().enumerate() {
            let mut dead = Vec::new();
            for (s, p) in &arm.alts {
                if !gave_up {
                    match checker.useful(&rows, p, &shape) {
                        Ok(Some(_)) => {}
                        Ok(None) => dead.push(*s),
                        Err(_) => gave_up = true,
                    }
                }
                rows.push(p);
            }
            if gave_up || (i == 0 && dead.is_empty()) {
                continue;
            }
            let whole = arm.alts.first().map(|(s, _)| *s).unwrap_or(scrut);
            if dead.len() == arm.alts.len() {
                let last = arm.alts.last().map_or(whole, |(s, _)| *s);
                warnings.push(
                    Error::warn(whole.to(last), "unreachable `match` arm")
                        .label("earlier arms match every value this one does")
                        .hint("remove the arm, or put it before the arms that cover it"),
                );
            } else {
                for s in dead {
                    warnings.push(
                        Error::warn(s, "unreachable pattern")
                            .label("earlier patterns match every value this one does")
                            .hint("remove this alternative"),
                    );
                }
            }
        }
        for w in warnings {
            if self.warned.insert(w.span) {
                self.warnings.push(w);
            }
        }
        // A last arm that matches every value by its form needs no search.
        let catch_all = arms
            .last()
            .is_some_and(|a| a.alts.iter().any(|(_, p)| p.irrefutable()));
        let mut full = Checker::new();
        let answer = if catch_all {
            Ok(None)
        } else {
            full.useful(&rows, &Pat::Any, &shape)
        };
        // The checks count against the compilation's step budget, so many
        // checked `match`es (one per type a function is called with) stop
        // there too.
        self.steps = self.steps.saturating_add(checker.work() + full.work());
        if !self.tick(scrut) {
            return false;
        }
        let ok = match answer {
            Ok(None) => true,
            Ok(Some(w)) => {
                let shown = render(&w, &shape);
                let mut e = Error::new(
                    scrut,
                    format!("non-exhaustive `match` on `{ty}`: `{shown}` is not covered"),
                )
                .label(format!("this `{ty}` may be `{shown}`"))
                .hint("add a last arm `_ => ...` for the values no other arm names");
                if matches!(shape, Shape::Tuple(_) | Shape::Struct(..)) {
                    e = e.hint(format!("or an arm `{shown} => ...`"));
                }
                self.err(e);
                false
            }
            Err(_) => {
                self.err(
                    Error::new(
                        scrut,
                        "cannot check that this `match` covers every value: its patterns are too many or too complex",
                    )
                    .hint("add a last arm `_ => ...`, or split the `match` into nested ones"),
                );
                false
            }
        };
        self.match_checked.insert(key, ok);
        ok
    }
}

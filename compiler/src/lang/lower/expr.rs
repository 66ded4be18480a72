//! Expressions: dispatches each expression form, array literals, and the
//! `if` expression (a known condition picks a branch, a secret one muxes both).

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn expr(&mut self, e: &'a Expr) -> Val {
        self.expr_as(e, None)
    }

    /// Evaluates `e`; `want` is the type the context expects, if known. It
    /// only guides untyped integers (so `x ^ if c { 0x1b } else { 0 }` types
    /// its branches from `x`); mismatches are still reported by the context.
    pub(super) fn expr_as(&mut self, e: &'a Expr, want: Option<&Ty>) -> Val {
        if !self.tick(e.span) {
            return Val::Error;
        }
        if self.depth >= MAX_EVAL_DEPTH {
            self.aborted = true;
            return self.err(
                Error::new(
                    e.span,
                    "expressions nested too deeply through function calls",
                )
                .hint("flatten the nesting with `let` bindings"),
            );
        }
        self.depth += 1;
        let v = self.expr_inner(e, want);
        self.depth -= 1;
        v
    }

    pub(super) fn expr_inner(&mut self, e: &'a Expr, want: Option<&Ty>) -> Val {
        let want = want.filter(|t| !contains_int(t));
        match &e.kind {
            ExprKind::Int(n) => {
                let v = Val::Int(BigInt::from(n.clone()));
                match want {
                    Some(t) if t.is_int() => self.coerce(v, t, e.span, "this constant"),
                    _ => v,
                }
            }
            ExprKind::Bool(b) => Val::bool(Lit::from_bool(*b)),
            ExprKind::Var(id) => match self.take_named(id) {
                Some((slot, v)) => {
                    let copy = v.clone();
                    self.put_back(slot, v);
                    if matches!(copy, Val::Int(_)) && !self.int_names.contains_key(&e.span) {
                        self.int_names.insert(e.span, id.name.clone());
                    }
                    copy
                }
                None => self.unknown_name(id),
            },
            ExprKind::Unary(op, x) => {
                // No hint inward: `-128` must stay a constant until the
                // context types it, and `3 * 100` must not wrap in a `u8`.
                let v = self.expr(x);
                self.unary(*op, v, e.span)
            }
            ExprKind::Binary(op, x, y) => {
                use BinOp::*;
                let a = self.expr(x);
                let right_want = match (op, a.ty()) {
                    (Shl | Shr | Concat | LogicAnd | LogicOr, _) => None,
                    (_, Some(t)) if !contains_int(&t) => Some(t),
                    _ => None,
                };
                let b = self.expr_as(y, right_want.as_ref());
                let ordering = matches!(op, Lt | Le | Gt | Ge | Eq | Ne);
                let secret = match (is_literal(x), is_literal(y)) {
                    (false, true) if ordering && !is_const(&a) => a.ty(),
                    (true, false) if ordering && !is_const(&b) => b.ty(),
                    _ => None,
                };
                let r = self.binary(*op, a, b, x.span, y.span, e.span);
                if let (Some(t), Val::Bits(Ty::Bool, bits)) = (secret, &r) {
                    if let Some(k) = bits[0].constant() {
                        self.constant_comparison(e.span, k, &t);
                    }
                }
                r
            }
            ExprKind::Cast(x, t) => {
                let v = self.expr(x);
                match self.eval_ty(t) {
                    Some(t) => self.cast(v, &t, e.span),
                    None => Val::Error,
                }
            }
            ExprKind::Call(name, args) => self.call(name, args, e.span),
            ExprKind::Index(base, idx) => {
                let iv = self.expr(idx);
                self.with_value(base, |l, v| l.index(v, iv, base.span, idx.span))
            }
            ExprKind::Slice(base, lo, hi) => {
                let lo = lo.as_ref().map(|x| (self.expr(x), x.span));
                let hi = hi.as_ref().map(|x| (self.expr(x), x.span));
                self.with_value(base, |l, v| l.slice(v, lo, hi, e.span))
            }
            ExprKind::Field(base, n, fspan) => self.with_value(base, |l, v| l.field(v, *n, *fspan)),
            ExprKind::NamedField(base, f) => self.with_value(base, |l, v| l.named_field(v, f)),
            ExprKind::StructLit(name, fields) => self.struct_lit(name, fields, e.span),
            ExprKind::Tuple(es) => {
                let wants: Vec<Option<&Ty>> = match want {
                    Some(Ty::Tuple(ts)) if ts.len() == es.len() => ts.iter().map(Some).collect(),
                    _ => vec![None; es.len()],
                };
                Val::Tuple(
                    es.iter()
                        .zip(wants)
                        .map(|(x, w)| self.expr_as(x, w))
                        .collect(),
                )
            }
            ExprKind::Array(es) => {
                let elem = match want {
                    Some(Ty::Array(t, _)) => Some(&**t),
                    _ => None,
                };
                self.array(es, elem)
            }
            ExprKind::Repeat(x, n) => {
                let elem = match want {
                    Some(Ty::Array(t, _)) => Some(&**t),
                    _ => None,
                };
                let v = self.expr_as(x, elem);
                let Some(n) = self.const_u64(n, "a repeat count") else {
                    return Val::Error;
                };
                let Some(t) = v.ty() else { return Val::Error };
                if n > MAX_ARRAY_LEN || t.bits().unwrap_or(1).saturating_mul(n) > MAX_VALUE_BITS {
                    return self.err(Error::new(
                        e.span,
                        format!("array of {n} elements of `{t}` exceeds the size limit"),
                    ));
                }
                Val::Array(t, vec![v; n as usize])
            }
            ExprKind::Block(b) => self.block_as(b, want),
            ExprKind::If(c, t, els) => self.if_expr(c, t, els.as_deref(), e.span, want),
            ExprKind::Match(x, arms) => self.match_expr(x, arms, e.span, want),
        }
    }

    /// Warns that a comparison of a value with a literal is decided by the
    /// value's type alone (`x < 0` on an unsigned `x`, `x <= 255` on a
    /// `u8`): likely a mistake, and it compiles to a constant.
    fn constant_comparison(&mut self, span: Span, always: bool, ty: &Ty) {
        if !self.warned.insert(span) {
            return;
        }
        let range = match ty {
            Ty::UInt(w) => format!("0 to {}", (BigInt::from(1) << *w as usize) - 1),
            Ty::SInt(w) => {
                let half = BigInt::from(1) << (*w as usize - 1);
                format!("{} to {}", -half.clone(), half - 1)
            }
            _ => return,
        };
        self.warnings.push(
            Error::warn(span, format!("comparison is always {always}"))
                .label(format!("a `{ty}` is always {range}"))
                .hint("remove it, or widen the value's type if it should hold other values"),
        );
    }

    /// Runs `f` on the value of `e`; for a named variable or constant, on the
    /// stored value itself (no copy of a large array per element access).
    pub(super) fn with_value(
        &mut self,
        e: &'a Expr,
        f: impl FnOnce(&mut Self, &Val) -> Val,
    ) -> Val {
        if let ExprKind::Var(id) = &e.kind {
            if !self.tick(e.span) {
                return Val::Error;
            }
            return match self.take_named(id) {
                Some((slot, v)) => {
                    let r = f(self, &v);
                    self.put_back(slot, v);
                    r
                }
                None => self.unknown_name(id),
            };
        }
        let v = self.expr(e);
        f(self, &v)
    }

    pub(super) fn array(&mut self, es: &'a [Expr], elem: Option<&Ty>) -> Val {
        let vals: Vec<Val> = es.iter().map(|x| self.expr_as(x, elem)).collect();
        if vals.contains(&Val::Error) {
            return Val::Error;
        }
        let typed = vals
            .iter()
            .filter_map(Val::ty)
            .find(|t| !contains_int(t))
            .or_else(|| vals.first().and_then(Val::ty))
            .unwrap_or(Ty::Int);
        let mut out = Vec::with_capacity(vals.len());
        for (v, x) in vals.into_iter().zip(es) {
            let v = self.coerce(v, &typed, x.span, "every array element");
            if v == Val::Error {
                return Val::Error;
            }
            out.push(v);
        }
        if typed.bits().unwrap_or(1).saturating_mul(out.len() as u64) > MAX_VALUE_BITS {
            let span = es[0].span.to(es[es.len() - 1].span);
            return self.err(Error::new(span, "array literal exceeds the size limit"));
        }
        Val::Array(typed, out)
    }

    pub(super) fn mux_val(&mut self, c: Lit, t: Val, f: Val) -> Val {
        match (t, f) {
            (Val::Bits(ty, x), Val::Bits(_, y)) => Val::Bits(ty, g::mux(&mut self.b, c, &x, &y)),
            (Val::Array(ty, xs), Val::Array(_, ys)) => Val::Array(
                ty,
                xs.into_iter()
                    .zip(ys)
                    .map(|(x, y)| self.mux_val(c, x, y))
                    .collect(),
            ),
            (Val::Tuple(xs), Val::Tuple(ys)) => Val::Tuple(
                xs.into_iter()
                    .zip(ys)
                    .map(|(x, y)| self.mux_val(c, x, y))
                    .collect(),
            ),
            (Val::Struct(s, xs), Val::Struct(_, ys)) => Val::Struct(
                s,
                xs.into_iter()
                    .zip(ys)
                    .map(|(x, y)| self.mux_val(c, x, y))
                    .collect(),
            ),
            (Val::Int(x), Val::Int(y)) if x == y => Val::Int(x),
            _ => Val::Error,
        }
    }

    pub(super) fn if_expr(
        &mut self,
        c: &'a Expr,
        then: &'a Block,
        els: Option<&'a Expr>,
        span: Span,
        want: Option<&Ty>,
    ) -> Val {
        let cv = self.expr(c);
        let cond = match &cv {
            Val::Bits(Ty::Bool, bits) => bits[0],
            Val::Error => return Val::Error,
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                return self.err(
                    Error::new(c.span, format!("expected a `bool` condition, found `{t}`"))
                        .hint("compare it, e.g. `x != 0`"),
                );
            }
        };
        let unit_if = |l: &mut Self, v: Val| -> Val {
            if els.is_none() && v != Val::Error && v != Val::unit() {
                let t = v.ty().map(|t| t.to_string()).unwrap_or_default();
                return l.err(
                    Error::new(
                        then.span,
                        format!("`if` without `else` has a value of type `{t}`"),
                    )
                    .hint("add an `else` branch, or end the block's last expression with `;`"),
                );
            }
            v
        };
        if let Some(k) = cond.constant() {
            let v = if k {
                self.block_as(then, want)
            } else if let Some(e) = els {
                self.expr_as(e, want)
            } else {
                Val::unit()
            };
            return if k { unit_if(self, v) } else { v };
        }
        // A secret condition: run both branches from the same state, then
        // merge each variable either branch changed.
        let mark = self.vars.len();
        let saved: Vec<Option<Val>> = self.vars[..mark]
            .iter()
            .enumerate()
            .map(|(i, b)| (i >= self.base && b.mutable).then(|| b.val.clone()))
            .collect();
        let tv = self.block_as(then, want);
        let tv = unit_if(self, tv);
        let mut then_vals = Vec::with_capacity(mark);
        for (i, s) in saved.into_iter().enumerate() {
            then_vals.push(s.map(|s| std::mem::replace(&mut self.vars[i].val, s)));
        }
        let ev = match els {
            Some(e) => self.expr_as(e, want),
            None => Val::unit(),
        };
        for (i, tvi) in then_vals.into_iter().enumerate() {
            let Some(tvi) = tvi else { continue };
            if tvi == self.vars[i].val {
                continue;
            }
            let fvi = std::mem::replace(&mut self.vars[i].val, Val::Error);
            if tvi == Val::Error || fvi == Val::Error {
                continue;
            }
            let merged = self.mux_val(cond, tvi, fvi);
            if merged == Val::Error {
                let name = self.vars[i].name.clone();
                self.err(
                    Error::new(span, format!("`{name}` gets different untyped constants in the branches of a secret `if`"))
                        .hint(format!("give `{name}` a type where it is declared, e.g. `let mut {name}: u32 = ...`")),
                );
            }
            self.vars[i].val = merged;
        }
        if tv == Val::Error || ev == Val::Error {
            return Val::Error;
        }
        let Some((tv, ev)) = self.unify_branches(tv, ev, then.span, els.map_or(span, |e| e.span))
        else {
            return Val::Error;
        };
        let r = self.mux_val(cond, tv, ev);
        if r == Val::Error {
            return self.err(
                Error::new(
                    span,
                    "the branches of a secret `if` give different untyped constants",
                )
                .hint("give the result a type, e.g. `if c { 1 as u8 } else { 2 }`"),
            );
        }
        r
    }

    pub(super) fn unify_branches(
        &mut self,
        a: Val,
        b: Val,
        sa: Span,
        sb: Span,
    ) -> Option<(Val, Val)> {
        let (ta, tb) = (a.ty()?, b.ty()?);
        if ta == tb {
            return Some((a, b));
        }
        if contains_int(&ta) && !contains_int(&tb) {
            let a = self.coerce(a, &tb, sa, "the `if` branch");
            return (a != Val::Error).then_some((a, b));
        }
        if contains_int(&tb) && !contains_int(&ta) {
            let b = self.coerce(b, &ta, sb, "the `else` branch");
            return (b != Val::Error).then_some((a, b));
        }
        self.err(Error::new(
            sb,
            format!("`if` and `else` have different types: `{ta}` and `{tb}`"),
        ));
        None
    }
}

/// An integer literal in the source, possibly negated.
fn is_literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Unary(UnOp::Neg, x) => matches!(x.kind, ExprKind::Int(_)),
        _ => false,
    }
}

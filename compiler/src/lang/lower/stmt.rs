//! Statements and blocks: `let` bindings, assignment through a place
//! (a path of indices and fields, written under a condition inside a
//! secret `if`), loops and expression statements.

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn block(&mut self, b: &'a Block) -> Val {
        self.block_as(b, None)
    }

    pub(super) fn block_as(&mut self, b: &'a Block, want: Option<&Ty>) -> Val {
        if !self.tick(b.span) {
            return Val::Error;
        }
        let mark = self.vars.len();
        for s in &b.stmts {
            self.stmt(s);
            if self.aborted {
                break;
            }
        }
        let v = match &b.tail {
            Some(e) => self.expr_as(e, want),
            None => Val::unit(),
        };
        self.vars.truncate(mark);
        v
    }

    pub(super) fn stmt(&mut self, s: &'a Stmt) {
        match s {
            Stmt::Let { pat, ty, init, .. } => {
                let v = match ty {
                    Some(t) => match self.eval_ty(t) {
                        Some(t) => {
                            let v = self.expr_as(init, Some(&t));
                            self.coerce(v, &t, init.span, "the initial value")
                        }
                        None => {
                            self.expr(init);
                            Val::Error
                        }
                    },
                    None => self.expr(init),
                };
                self.bind(pat, v);
            }
            Stmt::Assign {
                place, op, value, ..
            } => self.assign(place, *op, value),
            Stmt::For { pat, iter, body } => self.for_loop(pat, iter, body),
            Stmt::Expr(e) => {
                self.expr(e);
            }
        }
    }

    /// Unrolls a `for` loop: over a range (an arithmetic progression known
    /// at compile time) or over the elements of an array value.
    fn for_loop(&mut self, pat: &'a Pattern, iter: &'a ForIter, body: &'a Block) {
        let items: Box<dyn Iterator<Item = Val>> = match iter {
            ForIter::Range {
                lo,
                hi,
                inclusive,
                adapters,
            } => {
                let lo_v = self.expr(lo);
                let hi_v = self.expr(hi);
                let l = self.const_of(&lo_v, lo.span, "a loop bound");
                let h = self.const_of(&hi_v, hi.span, "a loop bound");
                let (Some(l), Some(mut h)) = (l, h) else {
                    return;
                };
                if *inclusive {
                    h += 1;
                }
                // first, step, count
                let mut first = l.clone();
                let mut step = BigInt::from(1);
                let mut count = if h > l { &h - &l } else { BigInt::from(0) };
                for a in adapters {
                    match a {
                        Adapter::Rev => {
                            if count > BigInt::from(0) {
                                first = &first + &step * (&count - 1);
                            }
                            step = -step;
                        }
                        Adapter::StepBy(k) => {
                            let kv = self.expr(k);
                            let Some(k_n) = self.const_of(&kv, k.span, "a step") else {
                                return;
                            };
                            if k_n <= BigInt::from(0) {
                                self.err(
                                    Error::new(
                                        k.span,
                                        format!("`step_by` needs a positive step, found {k_n}"),
                                    )
                                    .hint("to count down, use `.rev()`: `(0..n).rev().step_by(2)`"),
                                );
                                return;
                            }
                            count = (&count + &k_n - 1) / &k_n;
                            step *= &k_n;
                            if count <= BigInt::from(1) {
                                // One element or none: the step no longer
                                // matters (and must not grow without bound).
                                step = BigInt::from(1);
                            }
                        }
                    }
                }
                let span = lo.span.to(hi.span);
                if count > BigInt::from(MAX_LOOP) {
                    self.err(Error::new(
                        span,
                        format!(
                            "loop runs {count} times; at most {MAX_LOOP} iterations are unrolled"
                        ),
                    ));
                    return;
                }
                let n = to_u64(&count).unwrap_or(0);
                Box::new((0..n).map(move |i| Val::Int(&first + &step * BigInt::from(i))))
            }
            ForIter::Each(e) => match self.expr(e) {
                Val::Array(_, vs) => Box::new(vs.into_iter()),
                Val::Error => return,
                other => {
                    let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                    let mut err =
                        Error::new(e.span, format!("cannot iterate over a value of type `{t}`"))
                            .label("expected an array or a range `a..b`");
                    if let Some(w) = other.ty().filter(Ty::is_int).and_then(|t| t.bits()) {
                        err = err.hint(format!(
                            "to loop over the bits of an integer, index them: `for i in 0..{w} {{ ... x[i] ... }}`"
                        ));
                    }
                    self.err(err);
                    return;
                }
            },
        };
        for v in items {
            let errs = self.errors.len();
            let mark = self.vars.len();
            self.bind(pat, v);
            self.block(body);
            self.vars.truncate(mark);
            if self.errors.len() > errs || self.aborted {
                break;
            }
        }
    }

    pub(super) fn bind(&mut self, pat: &Pattern, v: Val) {
        match pat {
            Pattern::Bind { name, mutable } => {
                let decl = self.declare(name, "variable");
                self.vars.push(Binding {
                    name: name.name.clone(),
                    val: v,
                    mutable: *mutable,
                    decl,
                })
            }
            Pattern::Wild => {}
            Pattern::Tuple(pats, span) => match v {
                Val::Tuple(vs) if vs.len() == pats.len() => {
                    for (p, v) in pats.iter().zip(vs) {
                        self.bind(p, v);
                    }
                }
                other => {
                    if other != Val::Error {
                        let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                        self.err(Error::new(
                            *span,
                            format!("expected a tuple of {} elements, found `{t}`", pats.len()),
                        ));
                    }
                    for p in pats {
                        self.bind(p, Val::Error);
                    }
                }
            },
            Pattern::Struct {
                name,
                fields,
                rest,
                span,
            } => self.bind_struct(name, fields, *rest, *span, v),
        }
    }

    /// Resolves an assignment target to a variable and a path inside it.
    pub(super) fn place(&mut self, e: &'a Expr, path: &mut Vec<Access>) -> Option<usize> {
        match &e.kind {
            ExprKind::Var(id) => match self.find_var(&id.name) {
                Some(i) if self.vars[i].mutable => Some(i),
                Some(_) => {
                    self.err(
                        Error::new(
                            id.span,
                            format!("cannot assign to `{}`, which is not `mut`", id.name),
                        )
                        .hint(format!("declare it with `let mut {}`", id.name)),
                    );
                    None
                }
                None if self.consts.contains_key(id.name.as_str()) => {
                    self.err(Error::new(
                        id.span,
                        format!("cannot assign to constant `{}`", id.name),
                    ));
                    None
                }
                None => {
                    self.unknown_name(id);
                    None
                }
            },
            ExprKind::Index(base, idx) => {
                let slot = self.place(base, path);
                let iv = self.expr(idx);
                path.push(Access::Index(iv, idx.span));
                slot
            }
            ExprKind::Field(base, n, fspan) => {
                let slot = self.place(base, path);
                path.push(Access::Field(*n, *fspan));
                slot
            }
            ExprKind::NamedField(base, f) => {
                let slot = self.place(base, path);
                path.push(Access::Named(f.clone()));
                slot
            }
            _ => {
                self.err(Error::new(e.span, "cannot assign to this expression").hint(
                    "assign to a variable `x`, an element or bit `x[i]`, or a field `x.0` or `p.x`",
                ));
                None
            }
        }
    }

    pub(super) fn assign(&mut self, place: &'a Expr, op: Option<BinOp>, value: &'a Expr) {
        let v = self.expr(value);
        let mut path = Vec::new();
        let Some(slot) = self.place(place, &mut path) else {
            return;
        };
        let old = std::mem::replace(&mut self.vars[slot].val, Val::Error);
        let new = match op {
            Some(op) => {
                let mut cur = old.clone();
                for a in &path {
                    cur = match a {
                        Access::Index(iv, s) => self.index(&cur, iv.clone(), place.span, *s),
                        Access::Field(n, s) => self.field(&cur, *n, *s),
                        Access::Named(f) => self.named_field(&cur, f),
                    };
                }
                self.binary(
                    op,
                    cur,
                    v,
                    place.span,
                    value.span,
                    place.span.to(value.span),
                )
            }
            None => v,
        };
        let updated = self.write(old, &path, new, value.span);
        self.vars[slot].val = updated;
    }

    pub(super) fn write(&mut self, old: Val, path: &[Access], new: Val, span: Span) -> Val {
        let Some((first, rest)) = path.split_first() else {
            return match old.ty() {
                Some(t) => {
                    let r = self.coerce(new, &t, span, "the assigned value");
                    if r == Val::Error {
                        old
                    } else {
                        r
                    }
                }
                None => Val::Error,
            };
        };
        match (first, old) {
            (Access::Field(n, s), Val::Tuple(mut vs)) => {
                if (*n as usize) < vs.len() {
                    let o = std::mem::replace(&mut vs[*n as usize], Val::Error);
                    vs[*n as usize] = self.write(o, rest, new, span);
                    Val::Tuple(vs)
                } else {
                    self.field(&Val::Tuple(vs.clone()), *n, *s);
                    Val::Tuple(vs)
                }
            }
            (Access::Named(f), Val::Struct(st, mut vs)) => {
                let Some(i) = st.field(&f.name) else {
                    self.named_field(&Val::Struct(st.clone(), Vec::new()), f);
                    return Val::Struct(st, vs);
                };
                let o = std::mem::replace(&mut vs[i], Val::Error);
                vs[i] = self.write(o, rest, new, span);
                Val::Struct(st, vs)
            }
            (Access::Index(iv, s), old @ (Val::Array(..) | Val::Bits(..))) => {
                let len = match &old {
                    Val::Array(_, vs) => vs.len(),
                    Val::Bits(t, bits) if t.is_int() => bits.len(),
                    _ => {
                        self.index(&old, iv.clone(), span, *s);
                        return old;
                    }
                };
                if *iv == Val::Error {
                    return old;
                }
                if is_const(iv) {
                    // Reuse `index` for its range and type diagnostics.
                    if self.index(&old, iv.clone(), span, *s) == Val::Error {
                        return old;
                    }
                    let i = iv.const_int().and_then(|i| to_u64(&i)).unwrap_or(0) as usize;
                    return self.write_at(old, i, rest, new, span, None);
                }
                let Val::Bits(it, ibits) = iv else { return old };
                if !it.is_int() {
                    self.index(&old, iv.clone(), span, *s);
                    return old;
                }
                let mut cur = old;
                for j in 0..len {
                    let jb = int_to_bits(&BigInt::from(j), ibits.len() as u32);
                    if BigInt::from(j).bits() > ibits.len() as u64 {
                        break;
                    }
                    let hit = g::equal(&mut self.b, ibits, &jb);
                    cur = self.write_at(cur, j, rest, new.clone(), span, Some(hit));
                }
                cur
            }
            (a, old) => {
                match a {
                    Access::Field(n, s) => {
                        self.field(&old, *n, *s);
                    }
                    Access::Index(iv, s) => {
                        self.index(&old, iv.clone(), span, *s);
                    }
                    Access::Named(f) => {
                        self.named_field(&old, f);
                    }
                }
                old
            }
        }
    }

    /// Writes element/bit `i` (under condition `when`, if secret).
    pub(super) fn write_at(
        &mut self,
        old: Val,
        i: usize,
        rest: &[Access],
        new: Val,
        span: Span,
        when: Option<Lit>,
    ) -> Val {
        match old {
            Val::Array(t, mut vs) => {
                let o = vs[i].clone();
                let w = self.write(o.clone(), rest, new, span);
                vs[i] = match when {
                    Some(c) => self.mux_val(c, w, o),
                    None => w,
                };
                Val::Array(t, vs)
            }
            Val::Bits(t, mut bits) => {
                if !rest.is_empty() {
                    self.err(Error::new(span, "a bit has no elements or fields"));
                    return Val::Bits(t, bits);
                }
                let nb = self.coerce(new, &Ty::Bool, span, "a bit");
                let Val::Bits(_, nb) = nb else {
                    return Val::Bits(t, bits);
                };
                bits[i] = match when {
                    Some(c) => self.b.mux(c, nb[0], bits[i]),
                    None => nb[0],
                };
                Val::Bits(t, bits)
            }
            other => other,
        }
    }
}

//! Calls: user functions are inlined at each call site, builtins
//! (`rotl`, `rotr`, `popcount`) lower to gadgets, and the call graph is
//! checked for recursion.

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn call(&mut self, name: &'a Ident, args: &'a [Expr], span: Span) -> Val {
        let argv: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        let user = self.fns.get(name.name.as_str()).copied();
        let Some(f) = user.filter(|_| !means_builtin(name, &self.std_files)) else {
            if BUILTINS.contains(&name.name.as_str()) {
                return self.builtin(name, argv, &spans, span);
            }
            let known: Vec<&str> = self
                .fns
                .keys()
                .copied()
                .chain(BUILTINS.iter().copied())
                .collect();
            let mut e = Error::new(name.span, format!("cannot find function `{}`", name.name))
                .label("not found");
            if let Some(s) = nearest(&name.name, known) {
                e = e.hint(format!("did you mean `{s}`?"));
            }
            if self.find_var(&name.name).is_some() {
                e = e.hint(format!("`{}` is a variable, not a function", name.name));
            }
            return self.err(e);
        };
        if argv.len() != f.params.len() {
            let n = f.params.len();
            return self.err(
                Error::new(
                    span,
                    format!(
                        "`{}` takes {n} argument{} but {} {} given",
                        name.name,
                        if n == 1 { "" } else { "s" },
                        argv.len(),
                        if argv.len() == 1 { "was" } else { "were" }
                    ),
                )
                .label(format!("expected {n}")),
            );
        }
        if self.stack.contains(&f.name.name.as_str()) || self.stack.len() >= MAX_CALL_DEPTH {
            // Recursion is reported by `check_recursion` before lowering.
            if self.errors.is_empty() {
                self.err(Error::new(name.span, "calls nested too deeply"));
            }
            return Val::Error;
        }
        self.called.insert(f.name.name.as_str());
        self.invoke(f, argv, &spans)
    }

    pub(super) fn invoke(&mut self, f: &'a FnDef, argv: Vec<Val>, spans: &[Span]) -> Val {
        let (saved_base, mark) = (self.base, self.vars.len());
        self.base = mark;
        self.stack.push(f.name.name.as_str());
        for ((p, v), &s) in f.params.iter().zip(argv).zip(spans) {
            let v = match self.eval_ty(&p.ty) {
                Some(t) => {
                    if p.is_const && !is_const(&v) {
                        self.err(
                            Error::new(
                                s,
                                format!(
                                    "argument for `const {}` must be known at compile time",
                                    p.name.name
                                ),
                            )
                            .label("this depends on a circuit input"),
                        );
                        Val::Error
                    } else {
                        let ctx = format!("argument `{}` of `{}`", p.name.name, f.name.name);
                        self.coerce(v, &t, s, &ctx)
                    }
                }
                None => Val::Error,
            };
            let decl = self.declare(&p.name, "parameter");
            self.vars.push(Binding {
                name: p.name.name.clone(),
                val: v,
                mutable: false,
                decl,
            });
        }
        let rt = match &f.ret {
            Some(t) => self.eval_ty(t),
            None => Some(Ty::unit()),
        };
        let r = self.block_as(&f.body, rt.as_ref());
        let span = f.body.tail.as_ref().map_or(f.body.span, |t| t.span);
        let ctx = format!("the value returned by `{}`", f.name.name);
        let r = match (&f.ret, r.ty()) {
            (None, Some(t)) if t != Ty::unit() => {
                let shown = typed_name(&t);
                self.err(
                    Error::new(
                        span,
                        format!(
                            "`{}` declares no return type, but its body gives a `{t}`",
                            f.name.name
                        ),
                    )
                    .label("this value is returned")
                    .secondary(f.name.span, format!("add `-> {shown}` after the parameters"))
                    .hint(format!(
                        "declare the result: `fn {}(...) -> {shown}`, or end the last expression with `;` to return nothing",
                        f.name.name
                    )),
                );
                Val::Error
            }
            _ => r,
        };
        let r = match rt {
            Some(t) => self.coerce(r, &t, span, &ctx),
            None => Val::Error,
        };
        self.stack.pop();
        self.vars.truncate(mark);
        self.base = saved_base;
        r
    }

    pub(super) fn builtin(
        &mut self,
        name: &Ident,
        mut argv: Vec<Val>,
        spans: &[Span],
        span: Span,
    ) -> Val {
        let n = if matches!(name.name.as_str(), "popcount" | "abs") {
            1
        } else {
            2
        };
        if argv.len() != n {
            return self.err(Error::new(
                span,
                format!(
                    "`{}` takes {n} argument{}, but {} were given",
                    name.name,
                    if n == 1 { "" } else { "s" },
                    argv.len()
                ),
            ));
        }
        if argv.contains(&Val::Error) {
            return Val::Error;
        }
        match name.name.as_str() {
            "min" | "max" => {
                let b = argv.pop().unwrap_or(Val::Error);
                let a = argv.pop().unwrap_or(Val::Error);
                return self.min_max(name, a, b, spans, span);
            }
            "abs" => return self.abs(argv.remove(0), spans[0]),
            _ => {}
        }
        if name.name == "popcount" {
            let v = argv.remove(0);
            let Some(t) = v.ty().filter(|t| t.bits().is_some()) else {
                return self.err(Error::new(spans[0], "popcount needs a typed value"));
            };
            let _ = t;
            let mut bits = Vec::new();
            v.flatten(&mut bits);
            let mut c = g::popcount(&mut self.b, &bits);
            c.resize(32, Lit::FALSE);
            return Val::Bits(Ty::UInt(32), c);
        }
        let k = argv.pop().unwrap_or(Val::Error);
        let x = argv.pop().unwrap_or(Val::Error);
        let Val::Bits(t, bits) = x else {
            let t = x.ty().map(|t| t.to_string()).unwrap_or_default();
            return self.err(Error::new(
                spans[0],
                format!("`{}` rotates integers, found `{t}`", name.name),
            ));
        };
        if !t.is_int() {
            return self.err(Error::new(
                spans[0],
                format!("`{}` rotates integers, found `{t}`", name.name),
            ));
        }
        let how = if name.name == "rotl" {
            Shift::RotLeft
        } else {
            Shift::RotRight
        };
        let out = match &k {
            _ if is_const(&k)
                && matches!(k, Val::Int(_) | Val::Bits(Ty::UInt(_) | Ty::SInt(_), _)) =>
            {
                let a = unsigned_const(&k);
                if a.sign() == Sign::Minus {
                    return self.err(Error::new(
                        spans[1],
                        format!("negative rotation amount {a}"),
                    ));
                }
                let w = BigInt::from(bits.len());
                let a = ((a % &w) + &w) % &w;
                g::shift_const(&bits, to_u64(&a).unwrap_or(0), how)
            }
            Val::Bits(Ty::UInt(_) | Ty::SInt(_), s) => g::shift_var(&mut self.b, &bits, s, how),
            _ => {
                let t = k.ty().map(|t| t.to_string()).unwrap_or_default();
                return self.err(Error::new(
                    spans[1],
                    format!("rotation amounts are integers, found `{t}`"),
                ));
            }
        };
        Val::Bits(t, out)
    }
}

impl Lower<'_> {
    /// `min(a, b)` and `max(a, b)`: operands unify like those of `+`; one
    /// comparison and one multiplexer.
    fn min_max(&mut self, name: &Ident, a: Val, b: Val, spans: &[Span], span: Span) -> Val {
        let f = name.name.as_str();
        let Some((a, b)) = self.unify_as(&format!("`{f}`"), a, b, spans[0], spans[1]) else {
            return Val::Error;
        };
        let want_max = f == "max";
        match (&a, &b) {
            (Val::Int(x), Val::Int(y)) => Val::Int(if (x < y) != want_max {
                x.clone()
            } else {
                y.clone()
            }),
            (Val::Bits(t, x), Val::Bits(_, y)) if t.is_int() => {
                let signed = matches!(t, Ty::SInt(_));
                let lt = g::less(&mut self.b, x, y, signed);
                let out = if want_max {
                    g::mux(&mut self.b, lt, y, x)
                } else {
                    g::mux(&mut self.b, lt, x, y)
                };
                Val::Bits(t.clone(), out)
            }
            _ => {
                let t = a.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(
                    Error::new(span, format!("`{f}` takes integers, found `{t}`"))
                        .hint("for `bool`s, `a && b` is the minimum and `a || b` the maximum"),
                )
            }
        }
    }

    /// `abs(x)` of a signed integer, wrapping: `abs(MIN) == MIN`, like
    /// Rust's `wrapping_abs` (n - 1 ANDs).
    fn abs(&mut self, v: Val, span: Span) -> Val {
        match v {
            Val::Int(x) => Val::Int(x.magnitude().clone().into()),
            Val::Bits(Ty::SInt(w), bits) => Val::Bits(Ty::SInt(w), g::abs(&mut self.b, &bits)),
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                let mut e = Error::new(span, format!("`abs` takes a signed integer, found `{t}`"));
                if other.ty().is_some_and(|t| matches!(t, Ty::UInt(_))) {
                    e = e.hint("an unsigned value is its own absolute value; to read it as signed, cast it, e.g. `abs(x as i8)`");
                }
                self.err(e)
            }
        }
    }
}

/// Reports every cycle in the call graph: circuits are unrolled, so a
/// function may not (even indirectly) call itself.
/// Whether the call of `name` means the built-in even where a user function
/// shadows it: inside the standard library it always does, so a user's
/// `fn max` cannot change what `std::array`'s `max_u32` computes.
pub(super) fn means_builtin(name: &Ident, std_files: &HashSet<u32>) -> bool {
    BUILTINS.contains(&name.name.as_str()) && std_files.contains(&name.span.file)
}

pub(super) fn check_recursion(fns: &[&FnDef], std_files: &HashSet<u32>) -> Vec<Error> {
    let index: HashMap<&str, usize> = fns
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.name.as_str(), i))
        .collect();
    let calls: Vec<Vec<(usize, Span)>> = fns
        .iter()
        .map(|f| {
            let mut out = Vec::new();
            calls_in_block(&f.body, &mut out);
            out.into_iter()
                .filter(|id| !means_builtin(id, std_files))
                .filter_map(|id| index.get(id.name.as_str()).map(|&j| (j, id.span)))
                .collect()
        })
        .collect();
    let mut color = vec![0u8; fns.len()];
    let mut path = Vec::new();
    let mut errors = Vec::new();
    fn dfs(
        i: usize,
        fns: &[&FnDef],
        calls: &[Vec<(usize, Span)>],
        color: &mut [u8],
        path: &mut Vec<usize>,
        errors: &mut Vec<Error>,
    ) {
        color[i] = 1;
        path.push(i);
        for &(j, span) in &calls[i] {
            if color[j] == 1 {
                let from = path.iter().position(|&k| k == j).unwrap_or(0);
                let chain: Vec<&str> = path[from..]
                    .iter()
                    .chain(std::iter::once(&j))
                    .map(|&k| fns[k].name.name.as_str())
                    .collect();
                let msg = if chain.len() == 2 {
                    format!("recursive call: `{}` calls itself", chain[0])
                } else {
                    format!(
                        "recursive call: {}",
                        chain
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(" -> ")
                    )
                };
                errors.push(
                    Error::new(span, msg)
                        .label("recursion is not supported")
                        .hint("circuits are unrolled when compiled; use a `for` loop instead"),
                );
            } else if color[j] == 0 {
                dfs(j, fns, calls, color, path, errors);
            }
        }
        path.pop();
        color[i] = 2;
    }
    for i in 0..fns.len() {
        if color[i] == 0 {
            dfs(i, fns, &calls, &mut color, &mut path, &mut errors);
        }
    }
    errors
}

fn calls_in_block<'a>(b: &'a Block, out: &mut Vec<&'a Ident>) {
    for s in &b.stmts {
        match s {
            Stmt::Let { ty, init, .. } => {
                if let Some(t) = ty {
                    calls_in_type(t, out);
                }
                calls_in_expr(init, out);
            }
            Stmt::Assign { place, value, .. } => {
                calls_in_expr(place, out);
                calls_in_expr(value, out);
            }
            Stmt::For { iter, body, .. } => {
                iter.exprs().into_iter().for_each(|e| calls_in_expr(e, out));
                calls_in_block(body, out);
            }
            Stmt::Expr(e) => calls_in_expr(e, out),
        }
    }
    if let Some(t) = &b.tail {
        calls_in_expr(t, out);
    }
}

fn calls_in_type<'a>(t: &'a TypeExpr, out: &mut Vec<&'a Ident>) {
    match t {
        TypeExpr::Array(e, n, _) => {
            calls_in_type(e, out);
            calls_in_expr(n, out);
        }
        TypeExpr::Tuple(ts, _) => ts.iter().for_each(|t| calls_in_type(t, out)),
        _ => {}
    }
}

fn calls_in_expr<'a>(e: &'a Expr, out: &mut Vec<&'a Ident>) {
    match &e.kind {
        ExprKind::Call(name, args) => {
            out.push(name);
            args.iter().for_each(|a| calls_in_expr(a, out));
        }
        ExprKind::Unary(_, x) | ExprKind::Field(x, _, _) | ExprKind::NamedField(x, _) => {
            calls_in_expr(x, out)
        }
        ExprKind::StructLit(_, fs) => fs.iter().for_each(|(_, x)| calls_in_expr(x, out)),
        ExprKind::Cast(x, t) => {
            calls_in_expr(x, out);
            calls_in_type(t, out);
        }
        ExprKind::Binary(_, x, y) | ExprKind::Index(x, y) | ExprKind::Repeat(x, y) => {
            calls_in_expr(x, out);
            calls_in_expr(y, out);
        }
        ExprKind::Slice(x, lo, hi) => {
            calls_in_expr(x, out);
            lo.iter()
                .chain(hi.iter())
                .for_each(|y| calls_in_expr(y, out));
        }
        ExprKind::Tuple(es) | ExprKind::Array(es) => es.iter().for_each(|x| calls_in_expr(x, out)),
        ExprKind::Block(b) => calls_in_block(b, out),
        ExprKind::If(c, t, els) => {
            calls_in_expr(c, out);
            calls_in_block(t, out);
            if let Some(e) = els {
                calls_in_expr(e, out);
            }
        }
        ExprKind::Match(x, arms) => {
            calls_in_expr(x, out);
            arms.iter().for_each(|a| calls_in_expr(&a.body, out));
        }
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Var(_) => {}
    }
}

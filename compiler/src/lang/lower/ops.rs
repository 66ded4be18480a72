//! Operators: unary and binary arithmetic, comparisons and logic (folded
//! when both operands are known), shifts, concatenation and casts.

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn unary(&mut self, op: UnOp, v: Val, span: Span) -> Val {
        match (op, v) {
            (_, Val::Error) => Val::Error,
            (UnOp::Not, Val::Int(x)) => Val::Int(-x - 1),
            (UnOp::Neg, Val::Int(x)) => Val::Int(-x),
            (UnOp::Not, Val::Bits(t, bits)) => Val::Bits(t, g::not_all(&bits)),
            (UnOp::Neg, Val::Bits(t, bits)) if t.is_int() => {
                Val::Bits(t, g::neg(&mut self.b, &bits))
            }
            (op, v) => {
                let t = v.ty().map(|t| t.to_string()).unwrap_or_default();
                let sym = if op == UnOp::Not { "!" } else { "-" };
                self.err(Error::new(
                    span,
                    format!("cannot apply unary `{sym}` to a value of type `{t}`"),
                ))
            }
        }
    }

    /// Brings both operands to one type (untyped integers adopt the other
    /// side's type), or reports the mismatch.
    pub(super) fn unify(
        &mut self,
        op: BinOp,
        a: Val,
        b: Val,
        sa: Span,
        sb: Span,
    ) -> Option<(Val, Val)> {
        self.unify_as(&format!("`{}`", op.symbol()), a, b, sa, sb)
    }

    /// [`Lower::unify`] for an operator or built-in shown as `what`.
    pub(super) fn unify_as(
        &mut self,
        what: &str,
        a: Val,
        b: Val,
        sa: Span,
        sb: Span,
    ) -> Option<(Val, Val)> {
        let (ta, tb) = (a.ty()?, b.ty()?);
        if ta == tb {
            return Some((a, b));
        }
        let sym = what;
        let what = format!("the operand of {sym}");
        if contains_int(&ta) && !contains_int(&tb) {
            let a = self.coerce(a, &tb, sa, &what);
            return (a != Val::Error).then_some((a, b));
        }
        if contains_int(&tb) && !contains_int(&ta) {
            let b = self.coerce(b, &ta, sb, &what);
            return (b != Val::Error).then_some((a, b));
        }
        let mut e = Error::new(
            sa.to(sb),
            format!("mismatched types: {sym} has `{ta}` on the left and `{tb}` on the right"),
        );
        match (&ta, &tb) {
            (Ty::UInt(wa) | Ty::SInt(wa), Ty::UInt(wb) | Ty::SInt(wb)) if wa != wb => {
                // Widening the narrower side keeps every value (a signed
                // narrower side into an unsigned wider type excepted).
                let (side, narrow, wide, s) = if wa < wb {
                    ("left", &ta, &tb, sa)
                } else {
                    ("right", &tb, &ta, sb)
                };
                e = e
                    .secondary(s, format!("this is `{narrow}`"))
                    .hint(format!(
                        "widen the narrower side, on the {side}, with `(...) as {wide}`; operands of {sym} must have the same type"
                    ));
            }
            _ if ta.is_int() && tb.is_int() => {
                e = e.hint(format!(
                    "convert one side, e.g. `(...) as {ta}`; operands of {sym} must have the same type"
                ));
            }
            _ => {}
        }
        self.err(e);
        None
    }

    pub(super) fn binary(
        &mut self,
        op: BinOp,
        a: Val,
        b: Val,
        sa: Span,
        sb: Span,
        span: Span,
    ) -> Val {
        use BinOp::*;
        if a == Val::Error || b == Val::Error {
            return Val::Error;
        }
        match op {
            Concat => return self.concat(a, b, sa, sb),
            Shl | Shr => return self.shift(op, a, b, sa, sb),
            _ => {}
        }
        let Some((a, b)) = self.unify(op, a, b, sa, sb) else {
            return Val::Error;
        };
        if let (Val::Int(x), Val::Int(y)) = (&a, &b) {
            return self.const_binary(op, x, y, span);
        }
        let ty = a.ty().unwrap_or(Ty::Bool);
        if matches!(op, Eq | Ne) {
            let same = if ty.bits().is_none() {
                Lit::from_bool(a == b)
            } else {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                a.flatten(&mut x);
                b.flatten(&mut y);
                g::equal(&mut self.b, &x, &y)
            };
            return Val::bool(if op == Eq { same } else { !same });
        }
        if matches!(op, And | Or | Xor) && matches!(a, Val::Array(..) | Val::Tuple(..)) {
            // Bitwise operators act element-wise on arrays and tuples.
            let (mut x, mut y) = (Vec::new(), Vec::new());
            a.flatten(&mut x);
            b.flatten(&mut y);
            if !contains_int(&ty) {
                let bld = &mut self.b;
                let r = match op {
                    And => g::and_all(bld, &x, &y),
                    Or => g::or_all(bld, &x, &y),
                    _ => g::xor_all(bld, &x, &y),
                };
                return Val::unflatten(&ty, &mut r.into_iter());
            }
        }
        if matches!(op, Lt | Gt | Le | Ge) && matches!(a, Val::Array(..) | Val::Tuple(..)) {
            // Lexicographic, as Rust orders arrays and tuples.
            let (first, second) = if matches!(op, Lt | Ge) {
                (&a, &b)
            } else {
                (&b, &a)
            };
            let Some((lt, _)) = self.lexicographic(first, second) else {
                return self.err(Error::new(
                    span,
                    format!(
                        "`{}` cannot be applied to values of type `{ty}`",
                        op.symbol()
                    ),
                ));
            };
            return Val::bool(if matches!(op, Lt | Gt) { lt } else { !lt });
        }
        let (Val::Bits(_, x), Val::Bits(_, y)) = (&a, &b) else {
            return self.err(Error::new(
                span,
                format!(
                    "`{}` cannot be applied to values of type `{ty}`",
                    op.symbol()
                ),
            ));
        };
        let bool_op = matches!(op, And | Or | Xor | LogicAnd | LogicOr);
        let int_op = !matches!(op, LogicAnd | LogicOr);
        let ok = if ty == Ty::Bool { bool_op } else { int_op };
        if !ok {
            let mut e = Error::new(
                span,
                format!(
                    "`{}` cannot be applied to values of type `{ty}`",
                    op.symbol()
                ),
            );
            e = match (op, &ty) {
                (LogicAnd | LogicOr, _) => {
                    e.hint("`&&` and `||` take `bool`s; for bitwise AND/OR use `&` and `|`")
                }
                (Add | Sub, Ty::Bool) => e.hint("for addition modulo 2 of `bool`s use `^`"),
                _ => e.hint("arithmetic and ordering take integers; convert with `as u8`"),
            };
            return self.err(e);
        }
        let signed = matches!(ty, Ty::SInt(_));
        let bld = &mut self.b;
        let bits = match op {
            And | LogicAnd => g::and_all(bld, x, y),
            Or | LogicOr => g::or_all(bld, x, y),
            Xor => g::xor_all(bld, x, y),
            Add => g::add(bld, x, y),
            Sub => g::sub(bld, x, y),
            Mul | Div | Rem => {
                let n = x.len() as u64;
                if n.saturating_mul(n).saturating_mul(3) > self.limits.max_gates as u64 {
                    return self.err(Error::new(
                        span,
                        format!("`{}` on `{ty}` would exceed the gate limit", op.symbol()),
                    ));
                }
                match (op, signed) {
                    (Mul, _) => g::mul(bld, x, y),
                    (Div, false) => g::udivrem(bld, x, y, false).0,
                    (Rem, false) => g::udivrem(bld, x, y, true).1,
                    (Div, true) => g::sdivrem(bld, x, y, false).0,
                    _ => g::sdivrem(bld, x, y, true).1,
                }
            }
            Lt => return Val::bool(g::less(bld, x, y, signed)),
            Gt => return Val::bool(g::less(bld, y, x, signed)),
            Le => return Val::bool(!g::less(bld, y, x, signed)),
            Ge => return Val::bool(!g::less(bld, x, y, signed)),
            Eq | Ne | Concat | Shl | Shr => unreachable!("handled above"),
        };
        Val::Bits(ty, bits)
    }

    pub(super) fn const_binary(&mut self, op: BinOp, x: &BigInt, y: &BigInt, span: Span) -> Val {
        use BinOp::*;
        let zero = BigInt::from(0);
        let r = match op {
            Add => x + y,
            Sub => x - y,
            Mul => {
                if x.bits() + y.bits() > MAX_CONST_BITS {
                    return self.const_too_large(span);
                }
                x * y
            }
            Div | Rem if *y == zero => {
                return self.err(
                    Error::new(span, "division by zero in a compile-time expression")
                        .label("the divisor is 0"),
                )
            }
            Div => x / y,
            Rem => x % y,
            And => x & y,
            Or => x | y,
            Xor => x ^ y,
            Eq => return Val::bool(Lit::from_bool(x == y)),
            Ne => return Val::bool(Lit::from_bool(x != y)),
            Lt => return Val::bool(Lit::from_bool(x < y)),
            Le => return Val::bool(Lit::from_bool(x <= y)),
            Gt => return Val::bool(Lit::from_bool(x > y)),
            Ge => return Val::bool(Lit::from_bool(x >= y)),
            LogicAnd | LogicOr | Concat | Shl | Shr => {
                return self.err(Error::new(
                    span,
                    format!("`{}` cannot be applied to untyped integers", op.symbol()),
                ))
            }
        };
        if r.bits() > MAX_CONST_BITS {
            return self.const_too_large(span);
        }
        Val::Int(r)
    }

    pub(super) fn const_too_large(&mut self, span: Span) -> Val {
        self.err(Error::new(
            span,
            format!("compile-time integer exceeds {MAX_CONST_BITS} bits"),
        ))
    }

    pub(super) fn shift(&mut self, op: BinOp, a: Val, b: Val, sa: Span, sb: Span) -> Val {
        let left = op == BinOp::Shl;
        // Amount: a compile-time integer or a secret unsigned value.
        let amount: Result<u64, Vec<Lit>> = match &b {
            Val::Int(_) | Val::Bits(Ty::UInt(_) | Ty::SInt(_), _) if is_const(&b) => {
                let k = unsigned_const(&b);
                if k.sign() == Sign::Minus {
                    return self.err(Error::new(sb, format!("negative shift amount {k}")));
                }
                Ok(to_u64(&k).unwrap_or(u64::MAX))
            }
            Val::Bits(Ty::UInt(_) | Ty::SInt(_), bits) => Err(bits.clone()),
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                return self.err(Error::new(
                    sb,
                    format!("shift amounts are integers, found `{t}`"),
                ));
            }
        };
        match (a, amount) {
            (Val::Int(x), Ok(k)) => {
                if left && x.bits().saturating_add(k) > MAX_CONST_BITS {
                    return self.const_too_large(sa.to(sb));
                }
                let k = k.min(MAX_CONST_BITS) as usize;
                Val::Int(if left { x << k } else { x >> k })
            }
            (Val::Int(_), Err(_)) => self.err(
                Error::new(sa, "cannot shift an untyped integer by a secret amount")
                    .hint("give it a type, e.g. `(1 as u32) << n`"),
            ),
            (Val::Bits(t, bits), amount) if t.is_int() => {
                let how = if left {
                    Shift::Left
                } else if matches!(t, Ty::SInt(_)) {
                    Shift::Right(bits[bits.len() - 1])
                } else {
                    Shift::Right(Lit::FALSE)
                };
                let out = match amount {
                    Ok(k) => g::shift_const(&bits, k, how),
                    Err(s) => g::shift_var(&mut self.b, &bits, &s, how),
                };
                Val::Bits(t, out)
            }
            (v, _) => {
                let t = v.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(Error::new(
                    sa,
                    format!("cannot shift a value of type `{t}`"),
                ))
            }
        }
    }

    pub(super) fn concat(&mut self, a: Val, b: Val, sa: Span, sb: Span) -> Val {
        match (a, b) {
            (Val::Bits(_, hi), Val::Bits(_, lo)) => {
                let w = (hi.len() + lo.len()) as u64;
                if w > MAX_WIDTH {
                    return self.err(Error::new(
                        sa.to(sb),
                        format!("concatenation is {w} bits wide; the limit is {MAX_WIDTH}"),
                    ));
                }
                let mut bits = lo;
                bits.extend(hi);
                Val::Bits(Ty::UInt(w as u32), bits)
            }
            (Val::Array(ta, mut xs), Val::Array(tb, ys)) if ta == tb => {
                if (xs.len() + ys.len()) as u64 > MAX_ARRAY_LEN {
                    return self.err(Error::new(sa.to(sb), "array exceeds the length limit"));
                }
                xs.extend(ys);
                Val::Array(ta, xs)
            }
            (a, b) => {
                let (ta, tb) = (a.ty().unwrap_or(Ty::Int), b.ty().unwrap_or(Ty::Int));
                let mut e = Error::new(sa.to(sb), format!("cannot concatenate `{ta}` and `{tb}`"))
                    .label("`++` joins bits/integers, or arrays of one element type");
                if ta == Ty::Int || tb == Ty::Int {
                    e = e.hint("an untyped integer has no width; give it one, e.g. `5 as u8`");
                }
                self.err(e)
            }
        }
    }

    pub(super) fn cast(&mut self, v: Val, ty: &Ty, span: Span) -> Val {
        let w = match ty {
            Ty::UInt(w) | Ty::SInt(w) => *w as usize,
            Ty::Bool => {
                if v.ty() == Some(Ty::Bool) {
                    return v;
                }
                return self.err(
                    Error::new(span, "cannot cast to `bool`")
                        .hint("compare instead, e.g. `x != 0`, or take a bit, e.g. `x[0]`"),
                );
            }
            _ => {
                return self.err(Error::new(
                    span,
                    format!(
                    "cannot cast to `{ty}`: `as` converts between integer types and from `bool`"
                ),
                ))
            }
        };
        match v {
            Val::Error => Val::Error,
            Val::Int(x) => Val::Bits(ty.clone(), int_to_bits(&x, w as u32)),
            Val::Bits(from, mut bits) => {
                let fill = if matches!(from, Ty::SInt(_)) {
                    bits[bits.len() - 1]
                } else {
                    Lit::FALSE
                };
                bits.resize(w, fill);
                Val::Bits(ty.clone(), bits)
            }
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(Error::new(span, format!("cannot cast `{t}` to `{ty}`")))
            }
        }
    }
}

impl Lower<'_> {
    /// `(a < b, a == b)` in Rust's order: integers by value (signed ones
    /// signed), `false < true`, arrays and tuples lexicographically (the
    /// first element that differs decides). `None` if a value is not one of
    /// these. Cost: each element's `<` and `==`, plus 2 ANDs per element to
    /// combine them.
    pub(super) fn lexicographic(&mut self, a: &Val, b: &Val) -> Option<(Lit, Lit)> {
        match (a, b) {
            (Val::Bits(Ty::Bool, x), Val::Bits(Ty::Bool, y)) => {
                let lt = self.b.and(!x[0], y[0]);
                Some((lt, !self.b.xor(x[0], y[0])))
            }
            (Val::Bits(ty, x), Val::Bits(_, y)) => {
                let signed = matches!(ty, Ty::SInt(_));
                let lt = g::less(&mut self.b, x, y, signed);
                Some((lt, g::equal(&mut self.b, x, y)))
            }
            (Val::Array(_, xs), Val::Array(_, ys)) | (Val::Tuple(xs), Val::Tuple(ys))
                if xs.len() == ys.len() =>
            {
                let parts: Vec<(Lit, Lit)> = xs
                    .iter()
                    .zip(ys)
                    .map(|(x, y)| self.lexicographic(x, y))
                    .collect::<Option<_>>()?;
                let (mut lt, mut eq) = (Lit::FALSE, Lit::TRUE);
                for &(lt_i, eq_i) in parts.iter().rev() {
                    let later = self.b.and(eq_i, lt);
                    lt = self.b.or(lt_i, later);
                    eq = self.b.and(eq_i, eq);
                }
                Some((lt, eq))
            }
            _ => None,
        }
    }
}

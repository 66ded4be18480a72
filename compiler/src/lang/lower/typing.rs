//! Types and compile-time constants: evaluates type expressions, reads
//! constant integers and coerces values to an expected type.

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn eval_ty(&mut self, t: &'a TypeExpr) -> Option<Ty> {
        match t {
            TypeExpr::Bool(_) => Some(Ty::Bool),
            TypeExpr::Int {
                signed,
                width,
                span,
            } => {
                if *width == 0 || *width > MAX_WIDTH {
                    let k = if *signed { 'i' } else { 'u' };
                    self.err(
                        Error::new(*span, format!("integer width {width} is out of range"))
                            .label(format!("expected `{k}1` to `{k}{MAX_WIDTH}`")),
                    );
                    return None;
                }
                let w = *width as u32;
                Some(if *signed { Ty::SInt(w) } else { Ty::UInt(w) })
            }
            TypeExpr::Array(elem, len, span) => {
                let et = self.eval_ty(elem);
                let n = self.const_u64(len, "an array length")?;
                let et = et?;
                if n > MAX_ARRAY_LEN {
                    self.err(Error::new(
                        len.span,
                        format!("array length {n} exceeds the limit of {MAX_ARRAY_LEN}"),
                    ));
                    return None;
                }
                let ty = Ty::Array(Box::new(et), n as u32);
                if ty.bits().unwrap_or(0) > MAX_VALUE_BITS {
                    self.err(Error::new(
                        *span,
                        format!("type `{ty}` exceeds the limit of {MAX_VALUE_BITS} bits"),
                    ));
                    return None;
                }
                Some(ty)
            }
            TypeExpr::Tuple(ts, span) => {
                let tys: Vec<Option<Ty>> = ts.iter().map(|t| self.eval_ty(t)).collect();
                let ty = Ty::Tuple(tys.into_iter().collect::<Option<Vec<_>>>()?);
                if ty.bits().unwrap_or(0) > MAX_VALUE_BITS {
                    self.err(Error::new(
                        *span,
                        format!("type `{ty}` exceeds the limit of {MAX_VALUE_BITS} bits"),
                    ));
                    return None;
                }
                Some(ty)
            }
            TypeExpr::Named(id) => self.named_type(id),
        }
    }

    /// Evaluates `e`, which must be a non-negative compile-time integer.
    pub(super) fn const_u64(&mut self, e: &'a Expr, what: &str) -> Option<u64> {
        let v = self.expr(e);
        let i = self.const_of(&v, e.span, what)?;
        match to_u64(&i) {
            Some(n) => Some(n),
            None => {
                let msg = if i.sign() == Sign::Minus {
                    format!("{what} must not be negative, found {i}")
                } else {
                    format!("{what} {i} is too large")
                };
                self.err(Error::new(e.span, msg));
                None
            }
        }
    }

    pub(super) fn const_of(&mut self, v: &Val, span: Span, what: &str) -> Option<BigInt> {
        match v {
            Val::Error => None,
            Val::Int(_) | Val::Bits(Ty::UInt(_) | Ty::SInt(_), _) => match v.const_int() {
                Some(i) => Some(i),
                None => {
                    self.err(
                        Error::new(span, format!("{what} must be known at compile time"))
                            .label("this depends on a circuit input")
                            .hint("circuits are unrolled when compiled; use constants, loop counters or `const` parameters here"),
                    );
                    None
                }
            },
            other => {
                let ty = other.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(Error::new(
                    span,
                    format!("{what} must be an integer, found `{ty}`"),
                ));
                None
            }
        }
    }

    /// Converts `v` to type `ty`: untyped integers take the type (if they
    /// fit); anything else must already have it.
    pub(super) fn coerce(&mut self, v: Val, ty: &Ty, span: Span, context: &str) -> Val {
        let Some(vt) = v.ty() else { return Val::Error };
        if vt == *ty {
            return v;
        }
        match (v, ty) {
            (Val::Int(x), Ty::UInt(w) | Ty::SInt(w)) => {
                if fits(&x, ty) {
                    Val::Bits(ty.clone(), int_to_bits(&x, *w))
                } else {
                    let range = match ty {
                        Ty::UInt(w) if *w <= 64 => format!("0 to {}", (1u128 << w) - 1),
                        Ty::SInt(w) if *w <= 64 => {
                            format!("{} to {}", -(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
                        }
                        Ty::UInt(w) => format!("0 to 2^{w} - 1"),
                        _ => format!("-2^{0} to 2^{0} - 1", w - 1),
                    };
                    let e = Error::new(span, format!("constant {x} does not fit in `{ty}`"))
                        .label(format!("`{ty}` holds {range}"));
                    let e = match self.int_names.get(&span) {
                        Some(name) => e.hint(format!(
                            "`{name}` is {x} here; to wrap it, write `{name} as {ty}`, or give the value a wider type"
                        )),
                        None => e.hint(format!("to wrap it, write `{x} as {ty}`")),
                    };
                    self.err(e)
                }
            }
            (Val::Array(_, vs), Ty::Array(et, n)) if vs.len() == *n as usize => {
                let vs: Vec<Val> = vs
                    .into_iter()
                    .map(|v| self.coerce(v, et, span, context))
                    .collect();
                if vs.contains(&Val::Error) {
                    return Val::Error;
                }
                Val::Array((**et).clone(), vs)
            }
            (Val::Tuple(vs), Ty::Tuple(ts)) if vs.len() == ts.len() => {
                let vs: Vec<Val> = vs
                    .into_iter()
                    .zip(ts)
                    .map(|(v, t)| self.coerce(v, t, span, context))
                    .collect();
                if vs.contains(&Val::Error) {
                    return Val::Error;
                }
                Val::Tuple(vs)
            }
            (_, _) => {
                let mut e = Error::new(
                    span,
                    format!("mismatched types: expected `{ty}`, found `{vt}`"),
                )
                .label(format!("{context} must be `{ty}`"));
                if vt.is_int() && ty.is_int() || vt == Ty::Bool && ty.is_int() {
                    e = e.hint(format!("convert it with `as {ty}`"));
                } else if vt.is_int() && *ty == Ty::Bool {
                    e = e.hint("compare it, e.g. `x != 0`, or take a bit, e.g. `x[0]`");
                }
                self.err(e)
            }
        }
    }
}

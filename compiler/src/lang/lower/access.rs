//! Reading parts of a value: array/bit indexing (a secret index becomes a
//! multiplexer tree), slices and tuple fields.

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn index(&mut self, base: &Val, iv: Val, bspan: Span, ispan: Span) -> Val {
        if *base == Val::Error || iv == Val::Error {
            return Val::Error;
        }
        let (len, what) = match base {
            Val::Bits(t, bits) if t.is_int() => (bits.len(), "bit"),
            Val::Array(_, vs) => (vs.len(), "element"),
            Val::Int(_) => (usize::MAX, "bit"),
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                let mut e = Error::new(bspan, format!("cannot index into a value of type `{t}`"));
                if matches!(other, Val::Tuple(_)) {
                    e = e.hint("tuple fields are read with `.0`, `.1`, ...");
                }
                if let Val::Struct(st, _) = other {
                    e = e.hint(struct_fields_hint(st));
                }
                return self.err(e);
            }
        };
        let secret = match &iv {
            Val::Bits(t, bits) if t.is_int() && !is_const(&iv) => bits.clone(),
            Val::Int(_) | Val::Bits(Ty::UInt(_) | Ty::SInt(_), _) => {
                let i = iv.const_int().unwrap_or_default();
                let Some(i) = to_u64(&i).filter(|&i| i < len as u64) else {
                    let t = base.ty().map(|t| t.to_string()).unwrap_or_default();
                    return self.err(
                        Error::new(ispan, format!("index {i} is out of range for `{t}`")).label(
                            format!("valid {what} indices are 0 to {}", len.saturating_sub(1)),
                        ),
                    );
                };
                return match base {
                    Val::Bits(_, bits) => Val::bool(bits[i as usize]),
                    Val::Array(_, vs) => vs[i as usize].clone(),
                    Val::Int(x) => Val::bool(Lit::from_bool(x.bit(i))),
                    _ => Val::Error,
                };
            }
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                return self.err(Error::new(
                    ispan,
                    format!("indices are integers, found `{t}`"),
                ));
            }
        };
        match base {
            Val::Bits(_, bits) => {
                let items: Vec<Vec<Lit>> = bits.iter().map(|&b| vec![b]).collect();
                Val::bool(g::select(&mut self.b, &secret, &items, 1)[0])
            }
            Val::Array(et, vs) => {
                let Some(w) = et.bits() else {
                    return self.err(
                        Error::new(
                            bspan,
                            "cannot index an array of untyped integers with a secret",
                        )
                        .hint("give the array a type, e.g. `let t: [u8; 4] = [...]`"),
                    );
                };
                if (w as u128) * (vs.len() as u128) > self.limits.max_gates as u128 {
                    return self.err(Error::new(bspan, "secret index over too large an array"));
                }
                let items: Vec<Vec<Lit>> = vs
                    .iter()
                    .map(|v| {
                        let mut f = Vec::new();
                        v.flatten(&mut f);
                        f
                    })
                    .collect();
                let r = g::select(&mut self.b, &secret, &items, w as usize);
                Val::unflatten(et, &mut r.into_iter())
            }
            _ => self.err(Error::new(
                ispan,
                "cannot index an untyped integer with a secret",
            )),
        }
    }

    pub(super) fn slice(
        &mut self,
        base: &Val,
        lo: Option<(Val, Span)>,
        hi: Option<(Val, Span)>,
        span: Span,
    ) -> Val {
        let len = match base {
            Val::Bits(t, bits) if t.is_int() => bits.len() as u64,
            Val::Array(_, vs) => vs.len() as u64,
            Val::Error => return Val::Error,
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                return self.err(Error::new(
                    span,
                    format!("cannot slice a value of type `{t}`"),
                ));
            }
        };
        let bound = |l: &mut Self, b: Option<(Val, Span)>, default: u64| -> Option<u64> {
            match b {
                None => Some(default),
                Some((v, s)) => {
                    let i = l.const_of(&v, s, "a slice bound")?;
                    let i = to_u64(&i).filter(|&i| i <= len);
                    if i.is_none() {
                        l.err(
                            Error::new(s, "slice bound is out of range")
                                .label(format!("bounds go from 0 to {len}")),
                        );
                    }
                    i
                }
            }
        };
        let lo = bound(self, lo, 0);
        let hi = bound(self, hi, len);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Val::Error;
        };
        if lo >= hi {
            return self.err(
                Error::new(span, format!("empty slice {lo}..{hi}"))
                    .hint("a slice `a..b` needs a < b"),
            );
        }
        let (lo, hi) = (lo as usize, hi as usize);
        match base {
            Val::Bits(_, bits) => Val::Bits(Ty::UInt((hi - lo) as u32), bits[lo..hi].to_vec()),
            Val::Array(t, vs) => Val::Array(t.clone(), vs[lo..hi].to_vec()),
            _ => Val::Error,
        }
    }

    pub(super) fn field(&mut self, base: &Val, n: u32, span: Span) -> Val {
        match base {
            Val::Tuple(vs) => match vs.get(n as usize) {
                Some(v) => v.clone(),
                None => {
                    let t = base.ty().map(|t| t.to_string()).unwrap_or_default();
                    self.err(
                        Error::new(span, format!("`{t}` has no field {n}"))
                            .label(format!("fields are 0 to {}", vs.len().saturating_sub(1))),
                    )
                }
            },
            Val::Error => Val::Error,
            Val::Struct(st, _) => self.err(
                Error::new(
                    span,
                    format!("`{}` is a struct; it has no field {n}", st.name),
                )
                .hint(struct_fields_hint(st)),
            ),
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(Error::new(
                    span,
                    format!("`{t}` is not a tuple; it has no field {n}"),
                ))
            }
        }
    }
}

/// How to read the fields of a struct, for a diagnostic.
fn struct_fields_hint(st: &StructTy) -> String {
    match st.fields.first() {
        Some((f, _)) => format!("struct fields are read by name, e.g. `.{f}`"),
        None => format!("struct `{}` has no fields", st.name),
    }
}

//! Named types: `struct` declarations and `type` aliases, resolved on first
//! use (so their array lengths may name constants), struct literals and
//! field access by name.
//!
//! A struct costs nothing in the circuit: its value is its fields' wires
//! side by side, in declaration order, exactly like a tuple of them.

use super::*;
use std::sync::Arc;

/// Deepest chain of struct and alias names inside one another (a struct
/// field whose type is a struct whose field ...): bounds the recursion of
/// type resolution and of every walk over a type.
pub const MAX_TYPE_NESTING: usize = 64;

/// A named type as resolution finds it.
pub(super) enum TypeState<'a> {
    Struct(&'a StructDef),
    Alias(&'a Ident, &'a TypeExpr),
    /// Being resolved: meeting it again means it contains itself.
    Busy,
    /// Resolved; `None` if its declaration had an error (reported once).
    Done(Option<Ty>),
}

impl<'a> Lower<'a> {
    /// The type a name stands for, resolving its declaration the first time.
    pub(super) fn named_type(&mut self, id: &'a Ident) -> Option<Ty> {
        let Some((&name, state)) = self.types.get_key_value(id.name.as_str()) else {
            return self.unknown_type(id);
        };
        let pending = match state {
            TypeState::Done(t) => return t.clone(),
            TypeState::Busy => {
                self.err(
                    Error::new(id.span, format!("type `{}` contains itself", id.name))
                        .label("used inside its own definition")
                        .hint("a circuit value has a fixed size, so a struct cannot hold itself, even through other structs or aliases; use an array of a fixed length"),
                );
                return None;
            }
            TypeState::Struct(d) => Ok(*d),
            TypeState::Alias(_, t) => Err(*t),
        };
        if self.type_depth >= MAX_TYPE_NESTING {
            self.err(Error::new(
                id.span,
                format!("types nested more than {MAX_TYPE_NESTING} levels deep through struct and alias names"),
            ));
            return None;
        }
        self.types.insert(name, TypeState::Busy);
        // Declarations see only items, not the variables where they are used.
        let (saved_base, mark) = (self.base, self.vars.len());
        self.base = mark;
        self.type_depth += 1;
        let ty = match pending {
            Ok(def) => self.struct_type(def),
            Err(t) => self.eval_ty(t),
        };
        self.type_depth -= 1;
        self.vars.truncate(mark);
        self.base = saved_base;
        self.types.insert(name, TypeState::Done(ty.clone()));
        ty
    }

    fn struct_type(&mut self, def: &'a StructDef) -> Option<Ty> {
        let mut fields = Vec::with_capacity(def.fields.len());
        let mut ok = true;
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (name, t) in &def.fields {
            if let Some(&first) = seen.get(name.name.as_str()) {
                self.err(crate::lang::duplicate_name("field", name, first));
                ok = false;
            }
            seen.insert(&name.name, name.span);
            match self.eval_ty(t) {
                Some(t) => fields.push((name.name.clone(), t)),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let ty = Ty::Struct(Arc::new(StructTy {
            name: def.name.name.clone(),
            fields,
        }));
        if ty.bits().unwrap_or(0) > MAX_VALUE_BITS {
            self.err(Error::new(
                def.name.span,
                format!(
                    "struct `{}` exceeds the limit of {MAX_VALUE_BITS} bits",
                    def.name.name
                ),
            ));
            return None;
        }
        Some(ty)
    }

    pub(super) fn unknown_type(&mut self, id: &Ident) -> Option<Ty> {
        let mut known = vec![
            "bool", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
        ];
        known.extend(self.type_order.iter().copied());
        let mut e = Error::new(id.span, format!("unknown type `{}`", id.name)).label("not a type");
        if let Some(s) = nearest(&id.name, known) {
            e = e.hint(format!("did you mean `{s}`?"));
        }
        e = e.hint(
            "types are `bool`, `uN`/`iN` for any width N, `[T; N]`, tuples `(A, B)`, and the names of `struct`s and `type` aliases",
        );
        self.err(e);
        None
    }

    /// `P { x: 1, y: a }`: every field once, each coerced to its type.
    pub(super) fn struct_lit(
        &mut self,
        name: &'a Ident,
        fields: &'a [(Ident, Expr)],
        span: Span,
    ) -> Val {
        if !self.types.contains_key(name.name.as_str()) {
            let structs: Vec<&str> = self
                .type_order
                .iter()
                .copied()
                .filter(|n| matches!(self.types.get(n), Some(TypeState::Struct(_))))
                .collect();
            let mut e = Error::new(name.span, format!("unknown struct `{}`", name.name))
                .label("no struct of this name");
            if let Some(s) = nearest(&name.name, structs) {
                e = e.hint(format!("did you mean `{s}`?"));
            } else {
                e = e.hint(format!(
                    "declare it: `struct {} {{ x: u8, y: u8 }}`",
                    name.name
                ));
            }
            return self.err(e);
        }
        let st = match self.named_type(name) {
            Some(Ty::Struct(s)) => s,
            Some(other) => {
                return self.err(
                    Error::new(
                        name.span,
                        format!("`{}` is `{other}`, not a struct", name.name),
                    )
                    .label("not a struct"),
                )
            }
            None => return Val::Error,
        };
        let mut vals: Vec<Option<Val>> = vec![None; st.fields.len()];
        let mut given: Vec<Option<Span>> = vec![None; st.fields.len()];
        let mut ok = true;
        for (f, e) in fields {
            let Some(i) = st.field(&f.name) else {
                self.expr(e);
                self.no_field(&st, f);
                ok = false;
                continue;
            };
            let t = st.fields[i].1.clone();
            let v = self.expr_as(e, Some(&t));
            let v = self.coerce(v, &t, e.span, &format!("field `{}`", f.name));
            if let Some(first) = given[i] {
                self.err(
                    Error::new(f.span, format!("field `{}` is given twice", f.name))
                        .label("second value")
                        .secondary(first, "first value here")
                        .hint("remove one of them"),
                );
                ok = false;
            }
            given[i] = Some(f.span);
            ok &= v != Val::Error;
            vals[i] = Some(v);
        }
        let missing: Vec<String> = st
            .fields
            .iter()
            .zip(&vals)
            .filter(|(_, v)| v.is_none())
            .map(|((n, _), _)| format!("`{n}`"))
            .collect();
        if !missing.is_empty() && ok {
            let s = if missing.len() == 1 { "" } else { "s" };
            self.err(
                Error::new(
                    span,
                    format!("missing field{s} {} in `{}`", missing.join(", "), st.name),
                )
                .label(format!("every field of `{}` needs a value", st.name))
                .hint(format!("its fields are {}", field_list(&st))),
            );
            ok = false;
        }
        if !ok {
            return Val::Error;
        }
        Val::Struct(st, vals.into_iter().flatten().collect())
    }

    /// `base.name`: a struct's field.
    pub(super) fn named_field(&mut self, base: &Val, f: &Ident) -> Val {
        match base {
            Val::Struct(st, vs) => match st.field(&f.name) {
                Some(i) => vs[i].clone(),
                None => self.no_field(st, f),
            },
            Val::Error => Val::Error,
            Val::Tuple(vs) => {
                let t = base.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(
                    Error::new(
                        f.span,
                        format!("`{t}` is a tuple; it has no field `{}`", f.name),
                    )
                    .hint(format!(
                        "tuple fields are numbered: `.0` to `.{}`",
                        vs.len().saturating_sub(1)
                    )),
                )
            }
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(
                    Error::new(f.span, format!("`{t}` has no field `{}`", f.name))
                        .label("not a struct"),
                )
            }
        }
    }

    /// `let P { x, y: pat, .. } = v;`: binds each named field, as Rust
    /// does. Every field must be named unless the pattern ends in `..`.
    pub(super) fn bind_struct(
        &mut self,
        name: &Ident,
        fields: &[(Ident, Pattern)],
        rest: bool,
        span: Span,
        v: Val,
    ) {
        let bind_errors = |l: &mut Self| {
            for (_, p) in fields {
                l.bind(p, Val::Error);
            }
        };
        let (st, vs) = match v {
            Val::Struct(st, vs) if st.name == name.name => (st, vs),
            Val::Error => return bind_errors(self),
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(
                    Error::new(
                        name.span,
                        format!(
                            "this pattern takes a `{}`, but the value is a `{t}`",
                            name.name
                        ),
                    )
                    .label(format!("expected `{t}`")),
                );
                return bind_errors(self);
            }
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (f, p) in fields {
            if let Some(&first) = seen.get(f.name.as_str()) {
                self.err(
                    Error::new(
                        f.span,
                        format!("field `{}` is bound more than once", f.name),
                    )
                    .secondary(first, "first here"),
                );
                self.bind(p, Val::Error);
                continue;
            }
            seen.insert(&f.name, f.span);
            match st.field(&f.name) {
                Some(i) => self.bind(p, vs[i].clone()),
                None => {
                    self.no_field(&st, f);
                    self.bind(p, Val::Error);
                }
            }
        }
        self.missing_fields(
            &st,
            &seen,
            rest,
            span,
            "name them, or end the pattern with `..` to ignore the rest",
        );
    }

    /// Reports the fields of `st` a pattern without `..` (`rest`) leaves out
    /// of `seen`; returns whether it did.
    pub(super) fn missing_fields(
        &mut self,
        st: &StructTy,
        seen: &HashMap<&str, Span>,
        rest: bool,
        span: Span,
        hint: &str,
    ) -> bool {
        let missing: Vec<String> = st
            .fields
            .iter()
            .filter(|(n, _)| !seen.contains_key(n.as_str()))
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        if rest || missing.is_empty() {
            return false;
        }
        let s = if missing.len() == 1 { "" } else { "s" };
        self.err(
            Error::new(
                span,
                format!("pattern does not mention field{s} {}", missing.join(", ")),
            )
            .label(format!("every field of `{}` is named", st.name))
            .hint(hint),
        );
        true
    }

    pub(super) fn no_field(&mut self, st: &StructTy, f: &Ident) -> Val {
        let mut e = Error::new(
            f.span,
            format!("struct `{}` has no field `{}`", st.name, f.name),
        )
        .label("unknown field");
        if let Some(s) = nearest(&f.name, st.fields.iter().map(|(n, _)| n.as_str())) {
            e = e.hint(format!("did you mean `{s}`?"));
        }
        e = e.hint(format!("its fields are {}", field_list(st)));
        self.err(e)
    }
}

fn field_list(st: &StructTy) -> String {
    if st.fields.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = st
        .fields
        .iter()
        .map(|(n, t)| format!("`{n}: {t}`"))
        .collect();
    names.join(", ")
}

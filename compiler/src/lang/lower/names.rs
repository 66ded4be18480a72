//! Names: finds variables and constants in scope, and borrows a named
//! value for reading without copying it.

use super::*;

impl<'a> Lower<'a> {
    pub(super) fn find_var(&self, name: &str) -> Option<usize> {
        (self.base..self.vars.len())
            .rev()
            .find(|&i| self.vars[i].name == name)
    }

    pub(super) fn const_value(&mut self, name: &'a str, span: Span) -> Option<Val> {
        match self.consts.get_mut(name)? {
            ConstState::Done(v) => Some(v.clone()),
            ConstState::Busy => Some(
                self.err(
                    Error::new(span, format!("constant `{name}` depends on itself"))
                        .hint("a constant cannot be defined in terms of itself"),
                ),
            ),
            state @ ConstState::Pending(..) => {
                let ConstState::Pending(ty, e) = std::mem::replace(state, ConstState::Busy) else {
                    return None;
                };
                // Constants see only items, not the variables of the caller.
                let (saved_base, mark) = (self.base, self.vars.len());
                self.base = mark;
                let mut v = self.expr(e);
                if let Some(t) = ty {
                    v = match self.eval_ty(t) {
                        Some(t) => self.coerce(v, &t, e.span, "the constant's value"),
                        None => Val::Error,
                    };
                }
                if !is_const(&v) {
                    v = self.err(Error::new(
                        e.span,
                        format!("the value of constant `{name}` is not known at compile time"),
                    ));
                }
                self.vars.truncate(mark);
                self.base = saved_base;
                self.consts.insert(name, ConstState::Done(v.clone()));
                Some(v)
            }
        }
    }

    pub(super) fn unknown_name(&mut self, id: &Ident) -> Val {
        if self.fns.contains_key(id.name.as_str()) || BUILTINS.contains(&id.name.as_str()) {
            return self.err(
                Error::new(id.span, format!("`{}` is a function, not a value", id.name))
                    .hint(format!("call it: `{}(...)`", id.name)),
            );
        }
        let mut known: Vec<&str> = self.vars[self.base..]
            .iter()
            .map(|b| b.name.as_str())
            .collect();
        known.extend(self.const_order.iter().copied());
        let mut e = Error::new(id.span, format!("cannot find `{}` in this scope", id.name))
            .label("not found");
        if let Some(s) = nearest(&id.name, known) {
            e = e.hint(format!("did you mean `{s}`?"));
        }
        self.err(e)
    }

    /// Finds a named value to read without copying it (see [`Lower::put_back`]).
    pub(super) fn take_named(&mut self, id: &'a Ident) -> Option<(Slot<'a>, Val)> {
        if let Some(i) = self.find_var(&id.name) {
            self.mark_used(self.vars[i].decl);
            let v = std::mem::replace(&mut self.vars[i].val, Val::Error);
            return Some((Slot::Var(i), v));
        }
        let name = self
            .consts
            .get_key_value(id.name.as_str())
            .map(|(k, _)| *k)?;
        self.const_value(name, id.span)?;
        match self.consts.get_mut(name) {
            Some(ConstState::Done(v)) => {
                Some((Slot::Const(name), std::mem::replace(v, Val::Error)))
            }
            _ => None,
        }
    }

    pub(super) fn put_back(&mut self, slot: Slot<'a>, v: Val) {
        match slot {
            Slot::Var(i) => self.vars[i].val = v,
            Slot::Const(name) => {
                self.consts.insert(name, ConstState::Done(v));
            }
        }
    }
}

//! Type checking and lowering in one pass: the program is evaluated
//! symbolically, with every value a bundle of builder signals.
//!
//! Because every loop bound and compile-time parameter is known, evaluating
//! the program *is* unrolling it: loops run, helper functions are inlined at
//! each call (so `const` parameters may size types), `if` on a known
//! condition takes one branch, and `if` on a secret runs both and merges every
//! variable either branch changed with a multiplexer. Types are checked as
//! values flow; an ill-typed expression reports once and evaluates to
//! [`Val::Error`], which silences follow-on errors, so one run reports all
//! independent problems.
//!
//! Every resource is bounded (widths, array lengths, loop trips, call depth,
//! gates, total work) and exceeding a bound is a diagnostic.

use super::ast::*;
use super::diagnostics::{nearest, Error, Span, MAX_ERRORS};
use super::gadgets::{self as g, Shift};
use super::shared;
use super::types::*;
use crate::ir::{Circuit, ValueType};
use crate::optimize::{Builder, Lit};
use num_bigint::{BigInt, Sign};
use std::collections::{HashMap, HashSet};

/// Resource budgets of one compilation. The defaults allow circuits of
/// millions of gates; a program that exceeds a budget gets a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most gates (and inputs) the circuit may have before optimization.
    pub max_gates: usize,
    /// Most evaluation steps (expressions, blocks, loop trips).
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_gates: 1 << 24,
            max_steps: 1 << 26,
        }
    }
}
/// Most iterations of one `for` loop.
pub const MAX_LOOP: u64 = 1 << 20;
/// Deepest chain of nested function calls.
pub const MAX_CALL_DEPTH: usize = 128;
/// Deepest recursion of expression evaluation, across calls (bounds the stack).
const MAX_EVAL_DEPTH: usize = 4096;
/// Largest compile-time integer, in bits.
pub const MAX_CONST_BITS: u64 = 1 << 16;

/// The built-in functions; a user function may not take their names
/// (`mod.rs` refuses one, so a call always means the built-in).
pub(crate) const BUILTINS: &[&str] = &["rotl", "rotr", "popcount"];

enum ConstState<'a> {
    Pending(&'a Option<TypeExpr>, &'a Expr),
    Busy,
    Done(Val),
}

struct Binding {
    name: String,
    val: Val,
    mutable: bool,
}

enum Access {
    Index(Val, Span),
    Field(u32, Span),
}

enum Slot<'a> {
    Var(usize),
    Const(&'a str),
}

/// The items a circuit can see: functions and constants of the root file and
/// every file it `use`s.
pub struct Scope<'a> {
    pub fns: Vec<&'a FnDef>,
    pub consts: Vec<(&'a Ident, &'a Option<TypeExpr>, &'a Expr)>,
}

pub struct Lower<'a> {
    b: Builder,
    errors: Vec<Error>,
    fns: HashMap<&'a str, &'a FnDef>,
    fn_order: Vec<&'a FnDef>,
    consts: HashMap<&'a str, ConstState<'a>>,
    const_order: Vec<&'a str>,
    vars: Vec<Binding>,
    /// Index of the current function's first variable.
    base: usize,
    stack: Vec<&'a str>,
    called: HashSet<&'a str>,
    steps: u64,
    aborted: bool,
    limits: Limits,
    /// Current expression-evaluation recursion depth.
    depth: usize,
}

/// Type-checks and lowers `circuit` to an optimized, validated circuit.
pub fn lower<'a>(
    scope: Scope<'a>,
    circuit: &'a CircuitDef,
    limits: Limits,
) -> Result<Circuit, Vec<Error>> {
    let mut l = Lower {
        b: Builder::new(),
        errors: check_recursion(&scope.fns),
        fns: scope
            .fns
            .iter()
            .map(|f| (f.name.name.as_str(), *f))
            .collect(),
        fn_order: scope.fns.clone(),
        consts: scope
            .consts
            .iter()
            .map(|(n, t, e)| (n.name.as_str(), ConstState::Pending(t, e)))
            .collect(),
        const_order: scope
            .consts
            .iter()
            .map(|(n, _, _)| n.name.as_str())
            .collect(),
        vars: Vec::new(),
        base: 0,
        stack: Vec::new(),
        called: HashSet::new(),
        steps: 0,
        aborted: false,
        limits,
        depth: 0,
    };
    l.circuit(circuit)
}

fn is_const(v: &Val) -> bool {
    match v {
        Val::Int(_) => true,
        Val::Bits(_, bits) => bits.iter().all(|b| b.constant().is_some()),
        Val::Array(_, vs) | Val::Tuple(vs) => vs.iter().all(is_const),
        Val::Error => true,
    }
}

fn contains_int(t: &Ty) -> bool {
    match t {
        Ty::Int => true,
        Ty::Array(e, _) => contains_int(e),
        Ty::Tuple(ts) => ts.iter().any(contains_int),
        _ => false,
    }
}

/// A constant shift or rotation amount: typed amounts are read as unsigned
/// (their bit pattern), as secret amounts are.
fn unsigned_const(v: &Val) -> BigInt {
    match v {
        Val::Bits(Ty::SInt(w), bits) => Val::Bits(Ty::UInt(*w), bits.clone())
            .const_int()
            .unwrap_or_default(),
        other => other.const_int().unwrap_or_default(),
    }
}

fn to_u64(v: &BigInt) -> Option<u64> {
    u64::try_from(v).ok()
}

impl<'a> Lower<'a> {
    fn err(&mut self, e: Error) -> Val {
        self.errors.push(e);
        if self.errors.len() > 2 * MAX_ERRORS {
            // Enough to report; stop evaluating (duplicates are merged later).
            self.aborted = true;
        }
        Val::Error
    }

    /// Counts one unit of work; false (after one diagnostic) once a budget is spent.
    fn tick(&mut self, span: Span) -> bool {
        if self.aborted {
            return false;
        }
        self.steps += 1;
        let msg = if self.steps > self.limits.max_steps {
            format!(
                "compilation exceeds {} evaluation steps",
                self.limits.max_steps
            )
        } else if self.b.len() > self.limits.max_gates {
            format!("the circuit exceeds {} gates", self.limits.max_gates)
        } else {
            return true;
        };
        self.aborted = true;
        self.err(
            Error::new(span, msg)
                .label("while evaluating this")
                .hint("reduce loop bounds, widths or array sizes"),
        );
        false
    }

    // ---------------------------------------------------------------- types

    fn eval_ty(&mut self, t: &'a TypeExpr) -> Option<Ty> {
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
            TypeExpr::Unknown(id) => {
                let known = [
                    "bool", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
                ];
                let mut e =
                    Error::new(id.span, format!("unknown type `{}`", id.name)).label("not a type");
                if let Some(s) = nearest(&id.name, known) {
                    e = e.hint(format!("did you mean `{s}`?"));
                }
                e = e.hint(
                    "types are `bool`, `uN`/`iN` for any width N, `[T; N]` and tuples `(A, B)`",
                );
                self.err(e);
                None
            }
        }
    }

    /// Evaluates `e`, which must be a non-negative compile-time integer.
    fn const_u64(&mut self, e: &'a Expr, what: &str) -> Option<u64> {
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

    fn const_of(&mut self, v: &Val, span: Span, what: &str) -> Option<BigInt> {
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
    fn coerce(&mut self, v: Val, ty: &Ty, span: Span, context: &str) -> Val {
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
                    self.err(
                        Error::new(span, format!("constant {x} does not fit in `{ty}`"))
                            .label(format!("`{ty}` holds {range}"))
                            .hint(format!("to wrap it, write `{x} as {ty}`")),
                    )
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

    // ------------------------------------------------------------ variables

    fn find_var(&self, name: &str) -> Option<usize> {
        (self.base..self.vars.len())
            .rev()
            .find(|&i| self.vars[i].name == name)
    }

    fn const_value(&mut self, name: &'a str, span: Span) -> Option<Val> {
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

    fn unknown_name(&mut self, id: &Ident) -> Val {
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
    fn take_named(&mut self, id: &'a Ident) -> Option<(Slot<'a>, Val)> {
        if let Some(i) = self.find_var(&id.name) {
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

    fn put_back(&mut self, slot: Slot<'a>, v: Val) {
        match slot {
            Slot::Var(i) => self.vars[i].val = v,
            Slot::Const(name) => {
                self.consts.insert(name, ConstState::Done(v));
            }
        }
    }

    // ---------------------------------------------------------- expressions

    fn expr(&mut self, e: &'a Expr) -> Val {
        self.expr_as(e, None)
    }

    /// Evaluates `e`; `want` is the type the context expects, if known. It
    /// only guides untyped integers (so `x ^ if c { 0x1b } else { 0 }` types
    /// its branches from `x`); mismatches are still reported by the context.
    fn expr_as(&mut self, e: &'a Expr, want: Option<&Ty>) -> Val {
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

    fn expr_inner(&mut self, e: &'a Expr, want: Option<&Ty>) -> Val {
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
                self.binary(*op, a, b, x.span, y.span, e.span)
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
        }
    }

    /// Runs `f` on the value of `e`; for a named variable or constant, on the
    /// stored value itself (no copy of a large array per element access).
    fn with_value(&mut self, e: &'a Expr, f: impl FnOnce(&mut Self, &Val) -> Val) -> Val {
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

    fn array(&mut self, es: &'a [Expr], elem: Option<&Ty>) -> Val {
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

    fn unary(&mut self, op: UnOp, v: Val, span: Span) -> Val {
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
    fn unify(&mut self, op: BinOp, a: Val, b: Val, sa: Span, sb: Span) -> Option<(Val, Val)> {
        let (ta, tb) = (a.ty()?, b.ty()?);
        if ta == tb {
            return Some((a, b));
        }
        let what = format!("the operand of `{}`", op.symbol());
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
            format!(
                "mismatched types: `{}` has `{ta}` on the left and `{tb}` on the right",
                op.symbol()
            ),
        );
        if ta.is_int() && tb.is_int() {
            e = e.hint(format!(
                "convert one side, e.g. `(...) as {ta}`; operands of `{}` must have the same type",
                op.symbol()
            ));
        }
        self.err(e);
        None
    }

    fn binary(&mut self, op: BinOp, a: Val, b: Val, sa: Span, sb: Span, span: Span) -> Val {
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
                    (Div, false) => g::udivrem(bld, x, y).0,
                    (Rem, false) => g::udivrem(bld, x, y).1,
                    (Div, true) => g::sdivrem(bld, x, y).0,
                    _ => g::sdivrem(bld, x, y).1,
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

    fn const_binary(&mut self, op: BinOp, x: &BigInt, y: &BigInt, span: Span) -> Val {
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

    fn const_too_large(&mut self, span: Span) -> Val {
        self.err(Error::new(
            span,
            format!("compile-time integer exceeds {MAX_CONST_BITS} bits"),
        ))
    }

    fn shift(&mut self, op: BinOp, a: Val, b: Val, sa: Span, sb: Span) -> Val {
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

    fn concat(&mut self, a: Val, b: Val, sa: Span, sb: Span) -> Val {
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

    fn cast(&mut self, v: Val, ty: &Ty, span: Span) -> Val {
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

    fn index(&mut self, base: &Val, iv: Val, bspan: Span, ispan: Span) -> Val {
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

    fn slice(
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

    fn field(&mut self, base: &Val, n: u32, span: Span) -> Val {
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
            other => {
                let t = other.ty().map(|t| t.to_string()).unwrap_or_default();
                self.err(Error::new(
                    span,
                    format!("`{t}` is not a tuple; it has no field {n}"),
                ))
            }
        }
    }

    fn mux_val(&mut self, c: Lit, t: Val, f: Val) -> Val {
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
            (Val::Int(x), Val::Int(y)) if x == y => Val::Int(x),
            _ => Val::Error,
        }
    }

    fn if_expr(
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

    fn unify_branches(&mut self, a: Val, b: Val, sa: Span, sb: Span) -> Option<(Val, Val)> {
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

    // ------------------------------------------------------------ functions

    fn call(&mut self, name: &'a Ident, args: &'a [Expr], span: Span) -> Val {
        let argv: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
        let Some(f) = self.fns.get(name.name.as_str()).copied() else {
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

    fn invoke(&mut self, f: &'a FnDef, argv: Vec<Val>, spans: &[Span]) -> Val {
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
            self.vars.push(Binding {
                name: p.name.name.clone(),
                val: v,
                mutable: false,
            });
        }
        let rt = match &f.ret {
            Some(t) => self.eval_ty(t),
            None => Some(Ty::unit()),
        };
        let r = self.block_as(&f.body, rt.as_ref());
        let span = f.body.tail.as_ref().map_or(f.body.span, |t| t.span);
        let ctx = format!("the value returned by `{}`", f.name.name);
        let r = match rt {
            Some(t) => self.coerce(r, &t, span, &ctx),
            None => Val::Error,
        };
        self.stack.pop();
        self.vars.truncate(mark);
        self.base = saved_base;
        r
    }

    fn builtin(&mut self, name: &Ident, mut argv: Vec<Val>, spans: &[Span], span: Span) -> Val {
        let n = if name.name == "popcount" { 1 } else { 2 };
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

    // ----------------------------------------------------------- statements

    fn block(&mut self, b: &'a Block) -> Val {
        self.block_as(b, None)
    }

    fn block_as(&mut self, b: &'a Block, want: Option<&Ty>) -> Val {
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

    fn stmt(&mut self, s: &'a Stmt) {
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
            Stmt::For {
                var, lo, hi, body, ..
            } => {
                let lo_v = self.expr(lo);
                let hi_v = self.expr(hi);
                let l = self.const_of(&lo_v, lo.span, "a loop bound");
                let h = self.const_of(&hi_v, hi.span, "a loop bound");
                let (Some(l), Some(h)) = (l, h) else { return };
                let trips = if h > l { &h - &l } else { BigInt::from(0) };
                if trips > BigInt::from(MAX_LOOP) {
                    self.err(Error::new(
                        lo.span.to(hi.span),
                        format!(
                            "loop runs {trips} times; at most {MAX_LOOP} iterations are unrolled"
                        ),
                    ));
                    return;
                }
                let mut i = l;
                while i < h {
                    let errs = self.errors.len();
                    self.vars.push(Binding {
                        name: var.name.clone(),
                        val: Val::Int(i.clone()),
                        mutable: false,
                    });
                    self.block(body);
                    self.vars.pop();
                    if self.errors.len() > errs || self.aborted {
                        break;
                    }
                    i += 1;
                }
            }
            Stmt::Expr(e) => {
                self.expr(e);
            }
        }
    }

    fn bind(&mut self, pat: &Pattern, v: Val) {
        match pat {
            Pattern::Bind { name, mutable } => self.vars.push(Binding {
                name: name.name.clone(),
                val: v,
                mutable: *mutable,
            }),
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
        }
    }

    /// Resolves an assignment target to a variable and a path inside it.
    fn place(&mut self, e: &'a Expr, path: &mut Vec<Access>) -> Option<usize> {
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
            _ => {
                self.err(
                    Error::new(e.span, "cannot assign to this expression").hint(
                        "assign to a variable `x`, an element or bit `x[i]`, or a field `x.0`",
                    ),
                );
                None
            }
        }
    }

    fn assign(&mut self, place: &'a Expr, op: Option<BinOp>, value: &'a Expr) {
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

    fn write(&mut self, old: Val, path: &[Access], new: Val, span: Span) -> Val {
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
                }
                old
            }
        }
    }

    /// Writes element/bit `i` (under condition `when`, if secret).
    fn write_at(
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

    // -------------------------------------------------------------- circuit

    fn circuit(&mut self, c: &'a CircuitDef) -> Result<Circuit, Vec<Error>> {
        let mut inputs = Vec::new();
        let mut names = HashSet::new();
        for p in &c.params {
            let Some(ty) = self.eval_ty(&p.ty) else {
                self.vars.push(Binding {
                    name: p.name.name.clone(),
                    val: Val::Error,
                    mutable: false,
                });
                continue;
            };
            if !names.insert(p.name.name.as_str()) {
                self.err(Error::new(
                    p.name.span,
                    format!("two inputs are named `{}`", p.name.name),
                ));
            }
            let vt = ty.value_type().unwrap_or(ValueType::Bool);
            let bits = ty.bits().unwrap_or(0);
            if bits == 0 {
                self.err(Error::new(
                    p.ty.span(),
                    "a circuit input must have at least one bit",
                ));
                continue;
            }
            let v = match p.party {
                Some(party) => {
                    let lits: Vec<Lit> = (0..bits).map(|_| self.b.input()).collect();
                    let v = Val::unflatten(&ty, &mut lits.iter().copied());
                    inputs.push((p.name.name.clone(), party, vt, lits));
                    v
                }
                None => {
                    let lits =
                        shared::reconstruct(&mut self.b, &p.name.name, vt, bits, &mut inputs);
                    Val::unflatten(&ty, &mut lits.iter().copied())
                }
            };
            self.vars.push(Binding {
                name: p.name.name.clone(),
                val: v,
                mutable: false,
            });
        }
        let want = match &c.ret {
            Some(Returns::Type(t)) => self.eval_ty(t),
            Some(Returns::Named(fields)) => fields
                .iter()
                .map(|(_, t)| self.eval_ty(t))
                .collect::<Option<Vec<Ty>>>()
                .map(Ty::Tuple),
            None => None,
        };
        let body = self.block_as(&c.body, want.as_ref());
        let span = c.body.tail.as_ref().map_or(c.body.span, |t| t.span);
        let outputs: Vec<(String, Ty, Val)> = match &c.ret {
            None => {
                self.err(
                    Error::new(c.name.span, format!("circuit `{}` declares no result", c.name.name))
                        .hint("add the result type, e.g. `-> bool`, or named results `-> (max: u32, who: u8)`"),
                );
                Vec::new()
            }
            Some(Returns::Type(_)) => match want {
                Some(Ty::Tuple(ts)) if !ts.is_empty() => {
                    match self.coerce(body, &Ty::Tuple(ts.clone()), span, "the circuit's result") {
                        Val::Tuple(vs) => ts
                            .into_iter()
                            .zip(vs)
                            .enumerate()
                            .map(|(i, (t, v))| (format!("out{i}"), t, v))
                            .collect(),
                        _ => Vec::new(),
                    }
                }
                Some(t) => {
                    let v = self.coerce(body, &t, span, "the circuit's result");
                    vec![("out".to_string(), t, v)]
                }
                None => Vec::new(),
            },
            Some(Returns::Named(fields)) => {
                let mut seen = HashSet::new();
                for (n, _) in fields {
                    if !seen.insert(n.name.as_str()) {
                        self.err(Error::new(
                            n.span,
                            format!("two outputs are named `{}`", n.name),
                        ));
                    }
                }
                match want {
                    Some(Ty::Tuple(ts)) => match self.coerce(
                        body,
                        &Ty::Tuple(ts.clone()),
                        span,
                        "the circuit's result",
                    ) {
                        Val::Tuple(vs) => fields
                            .iter()
                            .zip(ts)
                            .zip(vs)
                            .map(|(((n, _), t), v)| (n.name.clone(), t, v))
                            .collect(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                }
            }
        };
        let mut ir_outputs = Vec::new();
        for (name, t, v) in outputs {
            let Some(vt) = t.value_type().filter(|_| t.bits().unwrap_or(0) > 0) else {
                self.err(Error::new(
                    span,
                    format!("output `{name}` of type `{t}` has no bits"),
                ));
                continue;
            };
            let mut bits = Vec::new();
            v.flatten(&mut bits);
            ir_outputs.push((name, vt, bits));
        }
        self.check_unused();
        if !self.errors.is_empty() {
            return Err(std::mem::take(&mut self.errors));
        }
        let circuit = self.b.finish(&c.name.name, inputs, ir_outputs);
        match circuit.validate() {
            Ok(()) => Ok(circuit),
            Err(e) => Err(vec![Error::new(
                c.name.span,
                format!("internal compiler error: produced an invalid circuit: {e}"),
            )]),
        }
    }

    /// Checks constants and functions the circuit never used, so their
    /// errors are reported too (functions with `const` parameters can only be
    /// checked at a call, where those are known).
    fn check_unused(&mut self) {
        if self.aborted {
            return;
        }
        for name in self.const_order.clone() {
            if matches!(self.consts.get(name), Some(ConstState::Pending(..))) {
                if let Some(ConstState::Pending(_, e)) = self.consts.get(name) {
                    let span = e.span;
                    self.const_value(name, span);
                }
            }
        }
        for f in self.fn_order.clone() {
            if self.called.contains(f.name.name.as_str()) || f.params.iter().any(|p| p.is_const) {
                continue;
            }
            self.called.insert(f.name.name.as_str());
            let mark = self.vars.len();
            let saved = self.base;
            self.base = mark;
            let mut args = Vec::new();
            for p in &f.params {
                let v = match self.eval_ty(&p.ty) {
                    Some(t) if t.bits().is_some() => {
                        let lits: Vec<Lit> =
                            (0..t.bits().unwrap_or(0)).map(|_| self.b.input()).collect();
                        Val::unflatten(&t, &mut lits.into_iter())
                    }
                    _ => Val::Error,
                };
                args.push(v);
            }
            self.base = saved;
            let spans: Vec<Span> = f.params.iter().map(|p| p.name.span).collect();
            self.invoke(f, args, &spans);
            if self.aborted {
                return;
            }
        }
    }
}

/// Reports every cycle in the call graph: circuits are unrolled, so a
/// function may not (even indirectly) call itself.
fn check_recursion(fns: &[&FnDef]) -> Vec<Error> {
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
            Stmt::For { lo, hi, body, .. } => {
                calls_in_expr(lo, out);
                calls_in_expr(hi, out);
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
        ExprKind::Unary(_, x) | ExprKind::Field(x, _, _) => calls_in_expr(x, out),
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
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Var(_) => {}
    }
}

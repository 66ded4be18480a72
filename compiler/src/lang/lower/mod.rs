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

mod access;
mod calls;
mod exhaustive;
mod expr;
mod matching;
mod names;
mod ops;
mod patterns;
mod stmt;
mod structs;
mod typing;

use calls::check_recursion;
use structs::TypeState;

use super::ast::*;
use super::diagnostics::{nearest, Error, Span, MAX_ERRORS};
use super::emitted::Checking;
use super::gadgets::{self as g, Shift};
use super::shared;
use super::types::*;
use crate::ir::{Circuit, Party, ValueType};
use crate::optimize::{Builder, GateSink, Lit};
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

/// The built-in functions. A user function may take one of their names
/// (with a warning from `mod.rs`): then the user's calls mean the user's
/// function, the standard library's still the built-in (`calls::means_builtin`).
pub(crate) const BUILTINS: &[&str] = &["rotl", "rotr", "popcount", "min", "max", "abs"];

/// What built-in `name` does, for the warning that names it when shadowed.
pub(crate) fn builtin_summary(name: &str) -> &'static str {
    match name {
        "rotl" => "`rotl(x, n)`, rotating `x` left by `n` bits",
        "rotr" => "`rotr(x, n)`, rotating `x` right by `n` bits",
        "popcount" => "`popcount(x)`, the number of set bits of `x`",
        "min" => "`min(a, b)`, the smaller of two integers",
        "max" => "`max(a, b)`, the larger of two integers",
        "abs" => "`abs(x)`, the absolute value of a signed integer (wrapping)",
        _ => "a built-in function",
    }
}

enum ConstState<'a> {
    Pending(&'a Option<TypeExpr>, &'a Expr),
    Busy,
    Done(Val),
}

struct Binding {
    name: String,
    val: Val,
    mutable: bool,
    /// Where it is declared, if its uses are tracked (see [`Lower::declare`]).
    decl: Option<Span>,
}

/// A declaration whose uses are tracked, for the unused-name warnings.
struct Declared {
    name: String,
    kind: &'static str,
    used: bool,
}

enum Access {
    Index(Val, Span),
    Field(u32, Span),
    /// A struct field, by name.
    Named(Ident),
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
    pub structs: Vec<&'a StructDef>,
    pub aliases: Vec<(&'a Ident, &'a TypeExpr)>,
    /// The files of standard library modules: their calls of a built-in's
    /// name always mean the built-in.
    pub std_files: HashSet<u32>,
}

pub struct Lower<'a> {
    b: Builder,
    std_files: HashSet<u32>,
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
    /// Every declaration evaluated at least once, in order, and whether
    /// any evaluation of it was read.
    declared: Vec<(Span, Declared)>,
    declared_at: HashMap<Span, usize>,
    /// Structs and type aliases by name, resolved on first use.
    types: HashMap<&'a str, TypeState<'a>>,
    /// Their names in declaration order.
    type_order: Vec<&'a str>,
    /// Named types being resolved inside one another.
    type_depth: usize,
    /// Warnings other than unused names, at most one per place.
    warnings: Vec<Error>,
    warned: HashSet<Span>,
    /// Each `match` (by place and scrutinee type) whose coverage has been
    /// checked, and whether it covers every value.
    match_checked: HashMap<(Span, String), bool>,
    /// Places where a name (a loop counter, a `const` parameter) gave an
    /// untyped integer, so a value that does not fit suggests a cast of
    /// the name rather than of the number.
    int_names: HashMap<Span, String>,
}

/// What lowering makes of a circuit that compiles.
pub(crate) struct Lowered<S> {
    /// The circuit without its gates (name, wire count, input and output
    /// groups): its gates, optimized and validated, went to `gates`.
    pub interface: Circuit,
    pub gates: S,
    /// For each output, the parties whose inputs reach it
    /// (`dependence::Dependence::outputs`).
    pub output_parties: Vec<u8>,
    /// The warnings found on the way.
    pub warnings: Vec<Error>,
}

/// Type-checks and lowers `circuit` to an optimized, validated circuit
/// whose gates go to `sink`.
pub(crate) fn lower<'a, S: GateSink>(
    scope: Scope<'a>,
    circuit: &'a CircuitDef,
    limits: Limits,
    sink: S,
) -> Result<Lowered<S>, Vec<Error>> {
    let mut l = Lower {
        b: Builder::new(),
        std_files: scope.std_files.clone(),
        errors: check_recursion(&scope.fns, &scope.std_files),
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
        declared: Vec::new(),
        declared_at: HashMap::new(),
        types: HashMap::new(),
        type_order: scope
            .structs
            .iter()
            .map(|s| s.name.name.as_str())
            .chain(scope.aliases.iter().map(|(n, _)| n.name.as_str()))
            .collect(),
        type_depth: 0,
        warnings: Vec::new(),
        warned: HashSet::new(),
        match_checked: HashMap::new(),
        int_names: HashMap::new(),
    };
    // The first declaration of a name counts (a second one is an error).
    for &s in &scope.structs {
        l.types
            .entry(s.name.name.as_str())
            .or_insert(TypeState::Struct(s));
    }
    for &(n, t) in &scope.aliases {
        l.types
            .entry(n.name.as_str())
            .or_insert(TypeState::Alias(n, t));
    }
    let (interface, gates, output_parties) = l.circuit(circuit, sink)?;
    let mut warnings = l.unused_warnings();
    warnings.append(&mut l.warnings);
    Ok(Lowered {
        interface,
        gates,
        output_parties,
        warnings,
    })
}

/// An input of no bits (`()`, `[u8; 0]`, an empty struct) is refused: a
/// party with nothing to give declares no input (it still garbles or
/// evaluates), and a group of no wires would only be a value the parties
/// must still agree to send.
fn zero_bit_input(p: &CircuitParam, ty: &Ty) -> Error {
    let n = &p.name.name;
    let who = match p.party {
        Some(Party::Garbler) => "the garbler",
        Some(Party::Evaluator) => "the evaluator",
        None => "the parties",
    };
    Error::new(
        p.ty.span(),
        format!("input `{n}` of type `{ty}` has no bits: a circuit input must have at least one bit"),
    )
    .label("carries nothing")
    .hint(format!(
        "if {who} has nothing to give here, remove `{n}`: a party may declare no input at all and still take part (e.g. `circuit t(garbler a: u8) -> u8`)"
    ))
}

/// An output of no bits (`-> ()`, `y: ()`): the parties learn the
/// outputs and nothing else, so an output without bits tells nobody
/// anything, and the language has no side effects a `()` result could
/// stand for.
fn zero_bit_output(c: &CircuitDef, name: &str, t: &Ty, span: Span) -> Error {
    let named = matches!(&c.ret, Some(Returns::Named(fs)) if fs.len() > 1);
    let hint = if named {
        format!("remove the output `{name}`")
    } else {
        "return the values the parties should learn, e.g. `-> bool` or `-> (max: u32, who: u8)`"
            .to_string()
    };
    Error::new(
        span,
        format!("output `{name}` of type `{t}` has no bits"),
    )
    .label("reveals nothing")
    .hint(format!(
        "a circuit's only effect is the outputs both parties learn, so an output without bits computes nothing; {hint}"
    ))
}

fn is_const(v: &Val) -> bool {
    match v {
        Val::Int(_) => true,
        Val::Bits(_, bits) => bits.iter().all(|b| b.constant().is_some()),
        Val::Array(_, vs) | Val::Tuple(vs) | Val::Struct(_, vs) => vs.iter().all(is_const),
        Val::Error => true,
    }
}

/// How to write `t` in a declaration: an untyped integer is shown as `u32`.
fn typed_name(t: &Ty) -> String {
    if contains_int(t) {
        "u32".to_string()
    } else {
        t.to_string()
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
    /// Tracks the uses of a declaration (not of names starting with `_`);
    /// the result goes into its [`Binding`]. A declaration evaluated many
    /// times (in a loop, a function called twice) is used if any one of
    /// them is read; one never evaluated (a branch not taken at compile
    /// time) is not reported.
    fn declare(&mut self, name: &Ident, kind: &'static str) -> Option<Span> {
        if name.name.starts_with('_') {
            return None;
        }
        if !self.declared_at.contains_key(&name.span) {
            self.declared_at.insert(name.span, self.declared.len());
            self.declared.push((
                name.span,
                Declared {
                    name: name.name.clone(),
                    kind,
                    used: false,
                },
            ));
        }
        Some(name.span)
    }

    fn mark_used(&mut self, decl: Option<Span>) {
        if let Some(i) = decl.and_then(|s| self.declared_at.get(&s)) {
            self.declared[*i].1.used = true;
        }
    }

    /// One warning per declaration never read.
    fn unused_warnings(&self) -> Vec<Error> {
        self.declared
            .iter()
            .filter(|(_, d)| !d.used)
            .map(|(span, d)| {
                let n = &d.name;
                if d.kind == "input" {
                    Error::warn(*span, format!("input `{n}` is never used"))
                        .label("the circuit ignores it")
                        .hint(format!("its party still supplies a value; remove the input, or name it `_{n}` if that is intended"))
                } else {
                    Error::warn(*span, format!("unused {} `{n}`", d.kind))
                        .label("never read")
                        .hint(format!("if this is intended, name it `_{n}`"))
                }
            })
            .collect()
    }

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

    /// Binds the circuit's parameters to fresh input wires (a shared input
    /// to the value its parties' shares reconstruct), in declaration order.
    fn circuit_inputs(
        &mut self,
        params: &'a [CircuitParam],
    ) -> Vec<(String, Party, ValueType, Vec<Lit>)> {
        let mut inputs = Vec::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for p in params {
            let decl = self.declare(&p.name, "input");
            let Some(ty) = self.eval_ty(&p.ty) else {
                self.vars.push(Binding {
                    name: p.name.name.clone(),
                    val: Val::Error,
                    mutable: false,
                    decl,
                });
                continue;
            };
            if let Some(&first) = names.get(p.name.name.as_str()) {
                self.err(
                    Error::new(
                        p.name.span,
                        format!("two inputs are named `{}`", p.name.name),
                    )
                    .label(format!("second `{}`", p.name.name))
                    .secondary(first, format!("first `{}` here", p.name.name))
                    .hint("rename one of them"),
                );
            } else {
                names.insert(p.name.name.as_str(), p.name.span);
            }
            let vt = ty.value_type().unwrap_or(ValueType::Bool);
            let bits = ty.bits().unwrap_or(0);
            if bits == 0 {
                self.err(zero_bit_input(p, &ty));
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
                decl,
            });
        }
        inputs
    }

    /// Shapes the body's value into named results as the circuit's return
    /// declares them (`out`, `out0`, `out1`, ... or the declared names).
    fn circuit_outputs(
        &mut self,
        c: &'a CircuitDef,
        want: Option<Ty>,
        body: Val,
        span: Span,
    ) -> Vec<(String, Ty, Val)> {
        match &c.ret {
            None => {
                let mut e = Error::new(
                    c.name.span,
                    format!("circuit `{}` declares no result", c.name.name),
                );
                if let Some(t) = body.ty().filter(|t| *t != Ty::unit()) {
                    e = e.hint(format!(
                        "its body gives a `{t}`: add `-> {}` after the inputs",
                        typed_name(&t)
                    ));
                }
                e = e.hint("add the result type, e.g. `-> bool`, or named results `-> (max: u32, who: u8)`");
                self.err(e);
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
        }
    }

    /// The circuit's interface, the sink its gates went to, and the
    /// parties each output depends on.
    fn circuit<S: GateSink>(
        &mut self,
        c: &'a CircuitDef,
        sink: S,
    ) -> Result<(Circuit, S, Vec<u8>), Vec<Error>> {
        let inputs = self.circuit_inputs(&c.params);
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
        let outputs = self.circuit_outputs(c, want, body, span);
        let mut ir_outputs = Vec::new();
        for (name, t, v) in outputs {
            let Some(vt) = t.value_type().filter(|_| t.bits().unwrap_or(0) > 0) else {
                self.err(zero_bit_output(c, &name, &t, span));
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
        let b = std::mem::take(&mut self.b);
        let (interface, checking) =
            b.finish_into(&c.name.name, inputs, ir_outputs, Checking::new(sink));
        match checking.verdict(&interface) {
            Ok((sink, parties)) => Ok((interface, sink, parties)),
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
        for name in self.type_order.clone() {
            let id = match self.types.get(name) {
                Some(TypeState::Struct(d)) => &d.name,
                Some(TypeState::Alias(id, _)) => *id,
                _ => continue,
            };
            self.named_type(id);
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

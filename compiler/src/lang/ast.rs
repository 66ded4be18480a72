//! The syntax tree. Every node keeps its [`Span`] for diagnostics.

use super::diagnostics::Span;
use crate::ir::Party;
use num_bigint::BigUint;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Bool(Span),
    /// `uN` (signed = false) or `iN`.
    Int {
        signed: bool,
        width: u64,
        span: Span,
    },
    /// `[T; N]`, N a compile-time expression.
    Array(Box<TypeExpr>, Box<Expr>, Span),
    /// `(A, B, ...)`; `()` is the unit type.
    Tuple(Vec<TypeExpr>, Span),
    /// A name: a `struct` or a `type` alias, resolved when the type is
    /// evaluated (an unknown name is reported then).
    Named(Ident),
}

impl TypeExpr {
    pub fn height(&self) -> u32 {
        1 + match self {
            TypeExpr::Array(t, n, _) => t.height().max(n.height),
            TypeExpr::Tuple(ts, _) => ts.iter().map(TypeExpr::height).max().unwrap_or(0),
            _ => 0,
        }
    }

    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Bool(s) => *s,
            TypeExpr::Int { span, .. } => *span,
            TypeExpr::Array(_, _, s) | TypeExpr::Tuple(_, s) => *s,
            TypeExpr::Named(i) => i.span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    LogicAnd,
    LogicOr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            And => "&",
            Or => "|",
            Xor => "^",
            Shl => "<<",
            Shr => ">>",
            LogicAnd => "&&",
            LogicOr => "||",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Concat => "++",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `!x`: logical NOT of a bool, bitwise NOT of an integer.
    Not,
    /// `-x`: wrapping negation.
    Neg,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Height of the tree below (a leaf is 1): bounded by the parser, so
    /// every recursive walk over expressions has bounded depth.
    pub height: u32,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let h = |e: &Expr| e.height;
        let below = match &kind {
            ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Var(_) => 0,
            ExprKind::Unary(_, x) | ExprKind::Field(x, _, _) | ExprKind::NamedField(x, _) => h(x),
            ExprKind::Cast(x, t) => h(x).max(t.height()),
            ExprKind::Binary(_, x, y) | ExprKind::Index(x, y) | ExprKind::Repeat(x, y) => {
                h(x).max(h(y))
            }
            ExprKind::Slice(x, lo, hi) => lo
                .iter()
                .chain(hi.iter())
                .map(|y| h(y))
                .fold(h(x), u32::max),
            ExprKind::Call(_, es) | ExprKind::Tuple(es) | ExprKind::Array(es) => {
                es.iter().map(h).max().unwrap_or(0)
            }
            ExprKind::StructLit(_, fs) => fs.iter().map(|(_, e)| h(e)).max().unwrap_or(0),
            ExprKind::Block(b) => b.height,
            ExprKind::If(c, t, e) => h(c).max(t.height).max(e.as_ref().map_or(0, |e| h(e))),
            ExprKind::Match(x, arms) => arms.iter().map(|a| h(&a.body)).fold(h(x), u32::max),
        };
        Expr {
            kind,
            span,
            height: below.saturating_add(1),
        }
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(BigUint),
    Bool(bool),
    Var(Ident),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cast(Box<Expr>, TypeExpr),
    Call(Ident, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    /// `x[a..b]`, either bound optional.
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `t.0`
    Field(Box<Expr>, u32, Span),
    /// `p.x`: a field of a struct, by name.
    NamedField(Box<Expr>, Ident),
    /// `P { x: 1, y: a }`: a struct literal, fields in any order.
    StructLit(Ident, Vec<(Ident, Expr)>),
    Tuple(Vec<Expr>),
    Array(Vec<Expr>),
    /// `[value; count]`
    Repeat(Box<Expr>, Box<Expr>),
    Block(Block),
    If(Box<Expr>, Block, Option<Box<Expr>>),
    /// `match x { 1 | 2 => a, _ => b }`
    Match(Box<Expr>, Vec<Arm>),
}

/// One pattern of a `match` arm.
#[derive(Clone, Debug)]
pub enum PatKind {
    /// `_`: matches every value.
    Wild,
    /// An integer literal, possibly negative.
    Int(num_bigint::BigInt),
    Bool(bool),
    /// `lo..=hi` (inclusive) or `lo..hi`: the integers between, as in Rust.
    Range {
        lo: num_bigint::BigInt,
        hi: num_bigint::BigInt,
        inclusive: bool,
    },
    /// `n`: matches every value and names it in the arm's body.
    Bind(Ident),
    /// `n @ 1..=5`, `n @ (1 | 2)`, `p @ P { x: 0, .. }`: matches what the
    /// inner pattern matches and names the value, as in Rust.
    At(Ident, Box<MatchPat>),
    /// `(0, y)`: a tuple's elements, each matched by its own pattern.
    Tuple(Vec<MatchPat>),
    /// `P { x: 0, y, .. }`: a struct's fields by name; a field written alone
    /// binds it, and `rest` (`..`) leaves the other fields unmatched.
    Struct {
        name: Ident,
        fields: Vec<(Ident, MatchPat)>,
        rest: bool,
    },
    /// `(1 | 2)`, or `1 | 2` inside a tuple or struct pattern: the value
    /// matches if one of the alternatives does.
    Or(Vec<MatchPat>),
}

#[derive(Clone, Debug)]
pub struct MatchPat {
    pub kind: PatKind,
    pub span: Span,
}

/// `p1 | p2 => body`
#[derive(Clone, Debug)]
pub struct Arm {
    pub pats: Vec<MatchPat>,
    pub body: Expr,
    pub span: Span,
}

impl ExprKind {
    /// Block-like expressions end a statement without `;`.
    pub fn is_block_like(&self) -> bool {
        matches!(
            self,
            ExprKind::Block(_) | ExprKind::If(..) | ExprKind::Match(..)
        )
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub tail: Option<Box<Expr>>,
    pub span: Span,
    /// 1 + the greatest height of an expression or block inside.
    pub height: u32,
}

impl Block {
    pub fn new(stmts: Vec<Stmt>, tail: Option<Box<Expr>>, span: Span) -> Block {
        let mut below = tail.as_ref().map_or(0, |t| t.height);
        for s in &stmts {
            below = below.max(match s {
                Stmt::Let { ty, init, .. } => {
                    init.height.max(ty.as_ref().map_or(0, TypeExpr::height))
                }
                Stmt::Assign { place, value, .. } => place.height.max(value.height),
                Stmt::For { iter, body, .. } => iter.height().max(body.height),
                Stmt::Expr(e) => e.height,
            });
        }
        Block {
            stmts,
            tail,
            span,
            height: below.saturating_add(1),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Pattern {
    Bind {
        name: Ident,
        mutable: bool,
    },
    Tuple(Vec<Pattern>, Span),
    Wild,
    /// `P { x, y: (a, b), mut z, .. }`: a struct's fields by name; `rest`
    /// (`..`) allows leaving fields out.
    Struct {
        name: Ident,
        fields: Vec<(Ident, Pattern)>,
        rest: bool,
        span: Span,
    },
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Let {
        pat: Pattern,
        ty: Option<TypeExpr>,
        init: Expr,
    },
    /// `place = value` or `place op= value`.
    Assign {
        place: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    For {
        pat: Pattern,
        iter: ForIter,
        body: Block,
    },
    Expr(Expr),
}

/// What a `for` loop runs over.
#[derive(Clone, Debug)]
pub enum ForIter {
    /// `a..b` or `a..=b`, then `.rev()` / `.step_by(k)` adapters in order.
    Range {
        lo: Expr,
        hi: Expr,
        inclusive: bool,
        adapters: Vec<Adapter>,
    },
    /// `for x in xs`: the elements of an array value.
    Each(Expr),
}

#[derive(Clone, Debug)]
pub enum Adapter {
    Rev,
    StepBy(Expr),
}

impl ForIter {
    pub fn height(&self) -> u32 {
        match self {
            ForIter::Range {
                lo, hi, adapters, ..
            } => adapters
                .iter()
                .map(|a| match a {
                    Adapter::Rev => 0,
                    Adapter::StepBy(e) => e.height,
                })
                .fold(lo.height.max(hi.height), u32::max),
            ForIter::Each(e) => e.height,
        }
    }

    /// Every expression of the iterator, for walks over the tree.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            ForIter::Range {
                lo, hi, adapters, ..
            } => {
                let mut v = vec![lo, hi];
                for a in adapters {
                    if let Adapter::StepBy(e) = a {
                        v.push(e);
                    }
                }
                v
            }
            ForIter::Each(e) => vec![e],
        }
    }
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    /// `const n: u32`: must be known at compile time at every call.
    pub is_const: bool,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub body: Block,
}

#[derive(Clone, Debug)]
pub struct CircuitParam {
    /// The party that supplies the input; `None` for a `shared` input, XOR-shared
    /// between both (see [`super::shared`]).
    pub party: Option<Party>,
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug)]
pub enum Returns {
    /// `-> T`: one output `out`, or `out0, out1, ...` if T is a tuple.
    Type(TypeExpr),
    /// `-> (name: T, ...)`: one output per field, named.
    Named(Vec<(Ident, TypeExpr)>),
}

#[derive(Clone, Debug)]
pub struct CircuitDef {
    pub name: Ident,
    pub params: Vec<CircuitParam>,
    pub ret: Option<Returns>,
    pub body: Block,
}

/// `struct P { x: u8, y: [u8; 4] }`: laid out as its fields in order.
#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: Ident,
    pub fields: Vec<(Ident, TypeExpr)>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Use {
        path: String,
        span: Span,
    },
    /// `use std::NAME;`: a module of the standard library shipped inside
    /// the compiler ([`crate::lang::stdlib`]).
    UseStd {
        name: Ident,
        span: Span,
    },
    Const {
        name: Ident,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    Fn(FnDef),
    Circuit(CircuitDef),
    Struct(StructDef),
    /// `type Pixel = u8;`: another name for a type, interchangeable with it.
    TypeAlias {
        name: Ident,
        ty: TypeExpr,
    },
}

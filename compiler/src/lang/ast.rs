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
    /// A name that is not a type; reported when the type is evaluated.
    Unknown(Ident),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Bool(s) => *s,
            TypeExpr::Int { span, .. } => *span,
            TypeExpr::Array(_, _, s) | TypeExpr::Tuple(_, s) => *s,
            TypeExpr::Unknown(i) => i.span,
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
    Tuple(Vec<Expr>),
    Array(Vec<Expr>),
    /// `[value; count]`
    Repeat(Box<Expr>, Box<Expr>),
    Block(Block),
    If(Box<Expr>, Block, Option<Box<Expr>>),
}

impl ExprKind {
    /// Block-like expressions end a statement without `;`.
    pub fn is_block_like(&self) -> bool {
        matches!(self, ExprKind::Block(_) | ExprKind::If(..))
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub tail: Option<Box<Expr>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Pattern {
    Bind { name: Ident, mutable: bool },
    Tuple(Vec<Pattern>, Span),
    Wild,
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
        var: Ident,
        lo: Expr,
        hi: Expr,
        body: Block,
    },
    Expr(Expr),
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
    pub party: Party,
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

#[derive(Clone, Debug)]
pub enum Item {
    Use {
        path: String,
        span: Span,
    },
    Const {
        name: Ident,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    Fn(FnDef),
    Circuit(CircuitDef),
}

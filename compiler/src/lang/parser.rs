//! Tokens to syntax tree: recursive descent with precedence climbing.
//!
//! Tokens come from the `nom` lexer; the grammar level is written by hand
//! because good diagnostics need it: each failure says what was expected and
//! what was found, and the parser resynchronizes (at the next `;`, `}` or
//! item keyword) so one run reports every syntax error of the file.

use super::ast::*;
use super::diagnostics::{Error, Span, MAX_ERRORS};
use super::lexer::{Tok, Token};
use crate::ir::Party;

/// Deepest nesting of brackets, blocks and types accepted: bounds the
/// parser's recursion.
pub const MAX_NESTING: usize = 200;
/// Greatest height of an expression tree (a chain `a + b + ...` or
/// `x[0][1]...` grows it by one per operator): bounds every later recursion.
pub const MAX_HEIGHT: u32 = 1000;

const KEYWORDS: &[&str] = &[
    "circuit",
    "fn",
    "let",
    "mut",
    "const",
    "use",
    "if",
    "else",
    "for",
    "in",
    "as",
    "true",
    "false",
    "garbler",
    "evaluator",
    "shared",
    "match",
    "while",
    "loop",
    "break",
    "continue",
    "return",
    "struct",
    "type",
];

/// An error has been pushed; the caller resynchronizes.
struct Fail;
type R<T> = Result<T, Fail>;

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    errors: Vec<Error>,
    depth: usize,
    /// The last statement parsed was an expression not ended by `;`.
    open_expr: bool,
    /// Parsing the condition of an `if`, the value of a `match` or the
    /// iterator of a `for`, where `name {` opens the body, not a struct
    /// literal (as in Rust); brackets and parentheses lift it.
    no_struct: bool,
}

/// Parses one file. Returns the items it could parse and every syntax error.
pub fn parse(tokens: &[Token]) -> (Vec<Item>, Vec<Error>) {
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        errors: Vec::new(),
        depth: 0,
        open_expr: false,
        no_struct: false,
    };
    let mut items = Vec::new();
    while !p.at_eof() {
        if p.errors.len() >= MAX_ERRORS {
            break;
        }
        match p.item() {
            Ok(item) => items.push(item),
            Err(Fail) => p.sync_item(),
        }
    }
    (items, p.errors)
}

fn binop(tok: &Tok) -> Option<(BinOp, u8)> {
    let Tok::Punct(p) = tok else { return None };
    use BinOp::*;
    Some(match *p {
        "||" => (LogicOr, 1),
        "&&" => (LogicAnd, 2),
        "==" => (Eq, 3),
        "!=" => (Ne, 3),
        "<" => (Lt, 3),
        "<=" => (Le, 3),
        ">" => (Gt, 3),
        ">=" => (Ge, 3),
        "|" => (Or, 4),
        "^" => (Xor, 5),
        "&" => (And, 6),
        "<<" => (Shl, 7),
        ">>" => (Shr, 7),
        "+" => (Add, 8),
        "-" => (Sub, 8),
        "++" => (Concat, 8),
        "*" => (Mul, 9),
        "/" => (Div, 9),
        "%" => (Rem, 9),
        _ => return None,
    })
}

fn assign_op(tok: &Tok) -> Option<Option<BinOp>> {
    let Tok::Punct(p) = tok else { return None };
    use BinOp::*;
    Some(match *p {
        "=" => None,
        "+=" => Some(Add),
        "-=" => Some(Sub),
        "*=" => Some(Mul),
        "/=" => Some(Div),
        "%=" => Some(Rem),
        "^=" => Some(Xor),
        "&=" => Some(And),
        "|=" => Some(Or),
        "<<=" => Some(Shl),
        ">>=" => Some(Shr),
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    fn tok(&self) -> &'a Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos.min(self.toks.len() - 1)].span
    }

    fn prev_span(&self) -> Span {
        self.toks[self.pos.saturating_sub(1).min(self.toks.len() - 1)].span
    }

    fn at_eof(&self) -> bool {
        matches!(self.tok(), Tok::Eof)
    }

    fn bump(&mut self) -> Span {
        let s = self.span();
        if !self.at_eof() {
            self.pos += 1;
        }
        s
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.tok(), Tok::Punct(q) if *q == p)
    }

    fn is_kw(&self, k: &str) -> bool {
        matches!(self.tok(), Tok::Ident(s) if s == k)
    }

    fn eat(&mut self, p: &str) -> bool {
        let yes = self.is(p);
        if yes {
            self.bump();
        }
        yes
    }

    fn eat_kw(&mut self, k: &str) -> bool {
        let yes = self.is_kw(k);
        if yes {
            self.bump();
        }
        yes
    }

    fn error<T>(&mut self, e: Error) -> R<T> {
        self.errors.push(e);
        Err(Fail)
    }

    fn unexpected<T>(&mut self, expected: &str) -> R<T> {
        let found = self.tok().describe();
        let e = Error::new(self.span(), format!("expected {expected}, found {found}"))
            .label(format!("expected {expected}"));
        self.error(e)
    }

    fn expect(&mut self, p: &str) -> R<Span> {
        if self.is(p) {
            return Ok(self.bump());
        }
        if p == ";" && self.pos > 0 {
            // Point after the statement that lacks it, as a reader would.
            let prev = self.prev_span();
            let found = self.tok().describe();
            let e = Error::new(prev, format!("expected `;`, found {found}"))
                .label("expected `;` after this");
            return self.error(e);
        }
        self.unexpected(&format!("`{p}`"))
    }

    fn ident(&mut self, what: &str) -> R<Ident> {
        match self.tok() {
            Tok::Ident(s) if KEYWORDS.contains(&s.as_str()) => {
                let e = Error::new(self.span(), format!("expected {what}, found keyword `{s}`"))
                    .hint(format!("`{s}` is reserved; choose another name"));
                self.error(e)
            }
            Tok::Ident(s) => {
                let name = s.clone();
                let span = self.bump();
                Ok(Ident { name, span })
            }
            _ => self.unexpected(what),
        }
    }

    /// Enters one level of nesting; on success the caller leaves with
    /// `self.depth -= 1`.
    fn enter(&mut self) -> R<()> {
        if self.depth >= MAX_NESTING {
            let e = Error::new(
                self.span(),
                format!("nesting deeper than {MAX_NESTING} levels"),
            )
            .hint("split the expression with `let` bindings or helper functions");
            return self.error(e);
        }
        self.depth += 1;
        Ok(())
    }

    fn too_deep<T>(&mut self, span: Span) -> R<T> {
        let e = Error::new(
            span,
            format!("expression nested deeper than {MAX_HEIGHT} levels"),
        )
        .hint("split it with `let` bindings, or compute it in a `for` loop");
        self.error(e)
    }

    /// Skips to the start of the next item.
    fn sync_item(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                Tok::Ident(k)
                    if depth == 0
                        && matches!(
                            k.as_str(),
                            "fn" | "circuit" | "const" | "use" | "struct" | "type"
                        )
                        && self.pos > 0 =>
                {
                    return
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips past the current statement: to just after `;` or just before
    /// the `}` closing the block. Always consumes at least one token unless
    /// it stops at that `}` or the end of the file, so recovery terminates.
    fn sync_stmt(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Punct("}") if depth == 0 => return,
                Tok::Punct(";") if depth == 0 => {
                    self.bump();
                    return;
                }
                Tok::Punct("{" | "(" | "[") => depth += 1,
                // A stray `)` or `]` at depth 0 is skipped like any token.
                Tok::Punct(p @ ("}" | ")" | "]")) if depth > 0 => {
                    depth -= 1;
                    if depth == 0 && *p == "}" {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn item(&mut self) -> R<Item> {
        let start = self.span();
        if self.eat_kw("use") {
            if self.eat_kw("std") {
                self.expect("::")?;
                let name = self.ident("a standard library module, like `use std::sort;`")?;
                let span = start.to(name.span);
                self.expect(";")?;
                return Ok(Item::UseStd { name, span });
            }
            let Tok::Str(path) = self.tok() else {
                return self
                    .unexpected("a file name in quotes, like `use \"lib.yao\";`, or `std::NAME`");
            };
            let path = path.clone();
            let span = start.to(self.bump());
            self.expect(";")?;
            return Ok(Item::Use { path, span });
        }
        if self.eat_kw("const") {
            let name = self.ident("a constant name")?;
            let ty = if self.eat(":") {
                Some(self.ty()?)
            } else {
                None
            };
            self.expect("=")?;
            let value = self.expr()?;
            self.expect(";")?;
            return Ok(Item::Const { name, ty, value });
        }
        if self.eat_kw("struct") {
            return self.struct_def().map(Item::Struct);
        }
        if self.eat_kw("type") {
            let name = self.ident("a type name")?;
            self.expect("=")?;
            let ty = self.ty()?;
            self.expect(";")?;
            return Ok(Item::TypeAlias { name, ty });
        }
        if self.eat_kw("fn") {
            let name = self.ident("a function name")?;
            self.expect("(")?;
            let mut params = Vec::new();
            while !self.is(")") {
                let is_const = self.eat_kw("const");
                let pname = self.ident("a parameter name")?;
                self.expect(":")?;
                let ty = self.ty()?;
                params.push(Param {
                    name: pname,
                    ty,
                    is_const,
                });
                if !self.eat(",") && !self.is(")") {
                    return self.unexpected("`,` or `)`");
                }
            }
            self.bump();
            let ret = if self.eat("->") {
                Some(self.ty()?)
            } else {
                None
            };
            let body = self.block()?;
            return Ok(Item::Fn(FnDef {
                name,
                params,
                ret,
                body,
            }));
        }
        if self.eat_kw("circuit") {
            let name = self.ident("a circuit name")?;
            self.expect("(")?;
            let mut params = Vec::new();
            while !self.is(")") {
                let party = if self.eat_kw("garbler") {
                    Some(Party::Garbler)
                } else if self.eat_kw("evaluator") {
                    Some(Party::Evaluator)
                } else if self.eat_kw("shared") {
                    None
                } else {
                    let found = self.tok().describe();
                    let e = Error::new(
                        self.span(),
                        format!("expected `garbler` or `evaluator`, found {found}"),
                    )
                    .label("whose input is this?")
                    .hint("every circuit input names the party that supplies it (`garbler x: u32`), or is `shared` between both");
                    return self.error(e);
                };
                let pname = self.ident("an input name")?;
                self.expect(":")?;
                let ty = self.ty()?;
                params.push(CircuitParam {
                    party,
                    name: pname,
                    ty,
                });
                if !self.eat(",") && !self.is(")") {
                    return self.unexpected("`,` or `)`");
                }
            }
            self.bump();
            let ret = if self.eat("->") {
                Some(self.returns()?)
            } else {
                None
            };
            let body = self.block()?;
            return Ok(Item::Circuit(CircuitDef {
                name,
                params,
                ret,
                body,
            }));
        }
        let found = self.tok().describe();
        let e = Error::new(
            self.span(),
            format!("expected `circuit`, `fn`, `const`, `struct`, `type` or `use`, found {found}"),
        );
        self.bump();
        self.error(e)
    }

    /// `struct P { x: u8, y: [u8; 4] }` after `struct`.
    fn struct_def(&mut self) -> R<StructDef> {
        let name = self.ident("a struct name")?;
        if self.is("(") || self.is(";") {
            let e = Error::new(self.span(), "expected `{` after the struct name")
                .label("structs have named fields")
                .hint(format!(
                    "write `struct {} {{ x: u8, y: u8 }}`; for unnamed fields use a tuple type `(u8, u8)`",
                    name.name
                ));
            return self.error(e);
        }
        self.expect("{")?;
        let mut fields = Vec::new();
        while !self.is("}") {
            let field = self.ident("a field name")?;
            self.expect(":")?;
            fields.push((field, self.ty()?));
            if !self.eat(",") && !self.is("}") {
                return self.unexpected("`,` or `}`");
            }
        }
        self.bump();
        Ok(StructDef { name, fields })
    }

    /// Runs `f` with struct literals allowed again (inside brackets).
    fn unrestricted<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let saved = std::mem::replace(&mut self.no_struct, false);
        let r = f(self);
        self.no_struct = saved;
        r
    }

    /// Runs `f` with `name {` read as the start of a body.
    fn restricted<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let saved = std::mem::replace(&mut self.no_struct, true);
        let r = f(self);
        self.no_struct = saved;
        r
    }

    /// Whether the tokens after the current `{` read `name:` (a struct
    /// literal's first field), never the start of a block.
    fn brace_starts_fields(&self) -> bool {
        let at = |k: usize| self.toks.get(self.pos + k).map(|t| &t.tok);
        matches!(at(1), Some(Tok::Ident(_))) && matches!(at(2), Some(Tok::Punct(":")))
    }

    /// `{ x: 1, y }` after the struct name: fields in any order, `y` short
    /// for `y: y`.
    fn struct_lit(&mut self, name: Ident) -> R<Expr> {
        self.bump();
        let mut fields = Vec::new();
        while !self.is("}") {
            let field = self.ident("a field name")?;
            let value = if self.eat(":") {
                self.expr()?
            } else {
                let span = field.span;
                Expr::new(ExprKind::Var(field.clone()), span)
            };
            fields.push((field, value));
            if !self.eat(",") && !self.is("}") {
                return self.unexpected("`,` or `}`");
            }
        }
        let end = self.bump();
        let span = name.span.to(end);
        let e = Expr::new(ExprKind::StructLit(name, fields), span);
        if e.height > MAX_HEIGHT {
            return self.too_deep(span);
        }
        Ok(e)
    }

    /// `-> T` or `-> (name: T, ...)`.
    fn returns(&mut self) -> R<Returns> {
        let named = self.is("(")
            && matches!(
                self.toks.get(self.pos + 1),
                Some(Token {
                    tok: Tok::Ident(_),
                    ..
                })
            )
            && matches!(
                self.toks.get(self.pos + 2),
                Some(Token {
                    tok: Tok::Punct(":"),
                    ..
                })
            );
        if !named {
            return Ok(Returns::Type(self.ty()?));
        }
        self.bump();
        let mut fields = Vec::new();
        while !self.is(")") {
            let name = self.ident("an output name")?;
            self.expect(":")?;
            fields.push((name, self.ty()?));
            if !self.eat(",") && !self.is(")") {
                return self.unexpected("`,` or `)`");
            }
        }
        self.bump();
        Ok(Returns::Named(fields))
    }

    fn ty(&mut self) -> R<TypeExpr> {
        self.enter()?;
        let r = self.ty_inner();
        self.depth -= 1;
        r
    }

    fn ty_inner(&mut self) -> R<TypeExpr> {
        let start = self.span();
        match self.tok() {
            Tok::Ident(s) if s == "bool" => Ok(TypeExpr::Bool(self.bump())),
            Tok::Ident(s) => {
                let mut chars = s.chars();
                let first = chars.next();
                let digits = chars.as_str();
                if matches!(first, Some('u' | 'i'))
                    && !digits.is_empty()
                    && digits.chars().all(|c| c.is_ascii_digit())
                {
                    let width = digits.parse::<u64>().unwrap_or(u64::MAX);
                    let signed = first == Some('i');
                    return Ok(TypeExpr::Int {
                        signed,
                        width,
                        span: self.bump(),
                    });
                }
                let name = s.clone();
                Ok(TypeExpr::Named(Ident {
                    name,
                    span: self.bump(),
                }))
            }
            Tok::Punct("[") => {
                self.bump();
                let elem = self.ty()?;
                self.expect(";")?;
                let len = self.expr()?;
                let end = self.expect("]")?;
                Ok(TypeExpr::Array(
                    Box::new(elem),
                    Box::new(len),
                    start.to(end),
                ))
            }
            Tok::Punct("(") => {
                self.bump();
                let mut fields = Vec::new();
                while !self.is(")") {
                    fields.push(self.ty()?);
                    if !self.eat(",") && !self.is(")") {
                        return self.unexpected("`,` or `)`");
                    }
                }
                let end = self.bump();
                Ok(TypeExpr::Tuple(fields, start.to(end)))
            }
            _ => self.unexpected("a type (`bool`, `u32`, `i8`, `[T; N]`, `(A, B)`, a struct name)"),
        }
    }

    fn block(&mut self) -> R<Block> {
        self.enter()?;
        let r = self.unrestricted(Self::block_inner);
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self) -> R<Block> {
        let open = self.expect("{")?;
        let mut stmts = Vec::new();
        let mut tail = None;
        loop {
            if self.is("}") {
                break;
            }
            if self.errors.len() >= MAX_ERRORS {
                return Err(Fail);
            }
            if self.at_eof() {
                let e = Error::new(open, "unclosed `{`")
                    .label("this block is never closed")
                    .hint("add the missing `}`");
                return self.error(e);
            }
            self.open_expr = false;
            match self.stmt() {
                Ok(Some(s)) => stmts.push(s),
                Ok(None) => {}
                Err(Fail) => {
                    self.sync_stmt();
                    continue;
                }
            }
            if let Some(Stmt::Expr(_)) = stmts.last() {
                if self.open_expr && self.is("}") {
                    // A tail expression without `;` is the block's value;
                    // block-like statements only end up here if they were last.
                    if let Some(Stmt::Expr(e)) = stmts.pop() {
                        tail = Some(Box::new(e));
                    }
                }
            }
        }
        let close = self.bump();
        let b = Block::new(stmts, tail, open.to(close));
        if b.height > MAX_HEIGHT {
            return self.too_deep(b.span);
        }
        Ok(b)
    }

    /// One statement; `Ok(None)` for an empty `;`. A trailing expression is
    /// returned as `Stmt::Expr` with no `;` consumed; `block` makes it the tail.
    fn stmt(&mut self) -> R<Option<Stmt>> {
        if self.eat(";") {
            return Ok(None);
        }
        if self.eat_kw("let") {
            let pat = self.pattern()?;
            let ty = if self.eat(":") {
                Some(self.ty()?)
            } else {
                None
            };
            self.expect("=")?;
            let init = self.expr()?;
            self.expect(";")?;
            return Ok(Some(Stmt::Let { pat, ty, init }));
        }
        if self.is_kw("for") {
            return self.for_stmt().map(Some);
        }
        if let Some(e) = self.unsupported_control() {
            return self.error(e);
        }
        let e = self.expr()?;
        if let Some(op) = assign_op(self.tok()) {
            self.bump();
            let value = self.expr()?;
            self.expect(";")?;
            return Ok(Some(Stmt::Assign {
                place: e,
                op,
                value,
            }));
        }
        if self.eat(";") {
            return Ok(Some(Stmt::Expr(e)));
        }
        if self.is("}") || self.at_eof() || e.kind.is_block_like() {
            self.open_expr = true;
            return Ok(Some(Stmt::Expr(e)));
        }
        self.expect(";").map(|_| None)
    }

    fn pattern(&mut self) -> R<Pattern> {
        let start = self.span();
        if self.eat("(") {
            let mut pats = Vec::new();
            while !self.is(")") {
                pats.push(self.pattern()?);
                if !self.eat(",") && !self.is(")") {
                    return self.unexpected("`,` or `)`");
                }
            }
            let end = self.bump();
            return Ok(Pattern::Tuple(pats, start.to(end)));
        }
        if self.is_kw("_") {
            self.bump();
            return Ok(Pattern::Wild);
        }
        let mutable = self.eat_kw("mut");
        let name = self.ident("a variable name")?;
        if !mutable && self.is("{") {
            return self.struct_pattern(name);
        }
        Ok(Pattern::Bind { name, mutable })
    }

    /// The `{ x, y: pat, .. }` after a struct's name in a pattern.
    fn struct_pattern(&mut self, name: Ident) -> R<Pattern> {
        self.bump();
        let mut fields = Vec::new();
        let mut rest = false;
        while !self.is("}") {
            if self.eat("..") {
                rest = true;
                if !self.is("}") {
                    return self.unexpected("`}` (`..` comes last)");
                }
                break;
            }
            let mutable = self.eat_kw("mut");
            let id = self.ident("a field name")?;
            let pat = if !mutable && self.eat(":") {
                self.pattern()?
            } else {
                Pattern::Bind {
                    name: id.clone(),
                    mutable,
                }
            };
            fields.push((id, pat));
            if !self.eat(",") && !self.is("}") {
                return self.unexpected("`,` or `}`");
            }
        }
        let end = self.bump();
        let span = name.span.to(end);
        Ok(Pattern::Struct {
            name,
            fields,
            rest,
            span,
        })
    }

    pub fn expr(&mut self) -> R<Expr> {
        self.enter()?;
        let r = self.binary(0);
        self.depth -= 1;
        r
    }

    fn binary(&mut self, min: u8) -> R<Expr> {
        let mut lhs = self.cast()?;
        let mut compared = false;
        while let Some((op, prec)) = binop(self.tok()) {
            if prec < min {
                break;
            }
            let op_span = self.bump();
            if prec == 3 {
                if compared {
                    let e = Error::new(op_span, "comparison operators cannot be chained")
                        .hint("use parentheses, e.g. `(a < b) == c`, or `a < b && b < c`");
                    return self.error(e);
                }
                compared = true;
            }
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span);
            if lhs.height > MAX_HEIGHT {
                return self.too_deep(span);
            }
        }
        Ok(lhs)
    }

    fn cast(&mut self) -> R<Expr> {
        let mut e = self.unary()?;
        while self.eat_kw("as") {
            let ty = self.ty()?;
            let span = e.span.to(ty.span());
            e = Expr::new(ExprKind::Cast(Box::new(e), ty), span);
            if e.height > MAX_HEIGHT {
                return self.too_deep(span);
            }
        }
        Ok(e)
    }

    fn unary(&mut self) -> R<Expr> {
        let start = self.span();
        let op = if self.is("!") {
            UnOp::Not
        } else if self.is("-") {
            UnOp::Neg
        } else {
            return self.postfix();
        };
        self.bump();
        self.enter()?;
        let inner = self.unary();
        self.depth -= 1;
        let inner = inner?;
        let span = start.to(inner.span);
        Ok(Expr::new(ExprKind::Unary(op, Box::new(inner)), span))
    }

    fn postfix(&mut self) -> R<Expr> {
        let mut e = self.primary()?;
        loop {
            if e.height > MAX_HEIGHT {
                return self.too_deep(e.span);
            }
            if self.eat("[") {
                let lo = if self.is("..") {
                    None
                } else {
                    Some(Box::new(self.expr()?))
                };
                if self.eat("..") {
                    let hi = if self.is("]") {
                        None
                    } else {
                        Some(Box::new(self.expr()?))
                    };
                    let end = self.expect("]")?;
                    let span = e.span.to(end);
                    e = Expr::new(ExprKind::Slice(Box::new(e), lo, hi), span);
                } else {
                    let end = self.expect("]")?;
                    let span = e.span.to(end);
                    let Some(idx) = lo else {
                        return self.unexpected("an index");
                    };
                    e = Expr::new(ExprKind::Index(Box::new(e), idx), span);
                }
            } else if self.eat(".") {
                let fspan = self.span();
                let named = matches!(self.tok(), Tok::Ident(_))
                    && !matches!(
                        self.toks.get(self.pos + 1).map(|t| &t.tok),
                        Some(Tok::Punct("("))
                    );
                if named {
                    let field = self.ident("a field name")?;
                    let span = e.span.to(field.span);
                    e = Expr::new(ExprKind::NamedField(Box::new(e), field), span);
                    continue;
                }
                let Tok::Int(n) = self.tok() else {
                    let hint = match self.tok() {
                        Tok::Ident(m) if m == "rev" || m == "step_by" => Some(format!(
                            "`.{m}` applies to a range in a `for` loop; put the range in parentheses: `for i in (a..b).{m}(...)`"
                        )),
                        Tok::Ident(m) if m == "iter" || m == "into_iter" => Some(
                            "a `for` loop runs over an array directly: `for x in xs { ... }`"
                                .to_string(),
                        ),
                        _ => None,
                    };
                    let r = self.unexpected("a field, like `.0` or `.x`");
                    if let (Some(h), Some(e)) = (hint, self.errors.last_mut()) {
                        e.hints.push(h);
                    }
                    return r;
                };
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                self.bump();
                let span = e.span.to(fspan);
                e = Expr::new(ExprKind::Field(Box::new(e), n, fspan), span);
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> R<Expr> {
        let start = self.span();
        let mk = Expr::new;
        match self.tok() {
            Tok::Int(n) => {
                let n = n.clone();
                Ok(mk(ExprKind::Int(n), self.bump()))
            }
            Tok::Ident(k) if k == "true" || k == "false" => {
                let b = k == "true";
                Ok(mk(ExprKind::Bool(b), self.bump()))
            }
            Tok::Ident(k) if k == "if" => self.if_expr(),
            Tok::Ident(k) if k == "match" => self.match_expr(),
            Tok::Ident(_) if self.unsupported_control_kw() => {
                let e = self.unsupported_control().expect("a control keyword");
                self.error(e)
            }
            Tok::Ident(k) if KEYWORDS.contains(&k.as_str()) => self.unexpected("an expression"),
            Tok::Ident(_) => {
                let name = self.ident("a name")?;
                if self.is("{") && !self.no_struct {
                    return self.unrestricted(|p| p.struct_lit(name));
                }
                if self.is("{") && self.brace_starts_fields() {
                    let e = Error::new(
                        name.span.to(self.span()),
                        "a struct literal cannot appear here unparenthesized",
                    )
                    .label("`{` here opens the body")
                    .hint(format!(
                        "put the literal in parentheses: `({} {{ ... }})`",
                        name.name
                    ));
                    // Read it as the literal it is, so the rest parses.
                    self.errors.push(e);
                    return self.unrestricted(|p| p.struct_lit(name));
                }
                if !self.eat("(") {
                    let span = name.span;
                    return Ok(mk(ExprKind::Var(name), span));
                }
                self.unrestricted(|p| {
                    let mut args = Vec::new();
                    while !p.is(")") {
                        args.push(p.expr()?);
                        if !p.eat(",") && !p.is(")") {
                            return p.unexpected("`,` or `)`");
                        }
                    }
                    let end = p.bump();
                    Ok(mk(ExprKind::Call(name, args), start.to(end)))
                })
            }
            Tok::Punct("(" | "[") if self.no_struct => self.unrestricted(Self::primary),
            Tok::Punct("(") => {
                self.bump();
                let mut elems = Vec::new();
                let mut trailing_comma = false;
                while !self.is(")") {
                    elems.push(self.expr()?);
                    trailing_comma = self.eat(",");
                    if !trailing_comma && !self.is(")") {
                        return self.unexpected("`,` or `)`");
                    }
                }
                let end = self.bump();
                if elems.len() == 1 && !trailing_comma {
                    let mut e = elems.pop().expect("one element");
                    e.span = start.to(end);
                    return Ok(e);
                }
                Ok(mk(ExprKind::Tuple(elems), start.to(end)))
            }
            Tok::Punct("[") => {
                self.bump();
                if self.is("]") {
                    let end = self.bump();
                    return Ok(mk(ExprKind::Array(Vec::new()), start.to(end)));
                }
                let first = self.expr()?;
                if self.eat(";") {
                    let count = self.expr()?;
                    let end = self.expect("]")?;
                    return Ok(mk(
                        ExprKind::Repeat(Box::new(first), Box::new(count)),
                        start.to(end),
                    ));
                }
                let mut elems = vec![first];
                while self.eat(",") {
                    if self.is("]") {
                        break;
                    }
                    elems.push(self.expr()?);
                }
                let end = self.expect("]")?;
                Ok(mk(ExprKind::Array(elems), start.to(end)))
            }
            Tok::Punct("{") => {
                let b = self.block()?;
                let span = b.span;
                Ok(mk(ExprKind::Block(b), span))
            }
            Tok::Str(_) => {
                let e = Error::new(self.span(), "unexpected string literal")
                    .hint("strings only appear in `use \"file.yao\";`");
                self.error(e)
            }
            _ => self.unexpected("an expression"),
        }
    }

    fn unsupported_control_kw(&self) -> bool {
        matches!(self.tok(), Tok::Ident(k) if matches!(k.as_str(), "while" | "loop" | "break" | "continue" | "return"))
    }

    /// `while`, `loop`, `break`, `continue` and `return` have no circuit
    /// meaning (a circuit has a fixed size): a diagnostic that says what to
    /// write instead. `None` if the current token is none of them.
    fn unsupported_control(&self) -> Option<Error> {
        if !self.unsupported_control_kw() {
            return None;
        }
        let Tok::Ident(k) = self.tok() else {
            return None;
        };
        let span = self.span();
        let e = match k.as_str() {
            "while" | "loop" => Error::new(span, format!("`{k}` loops are not supported"))
                .label("the number of iterations must be known at compile time")
                .hint("a circuit has a fixed size, so every loop is unrolled: write `for i in 0..N { if cond { ... } }`, with N the most iterations the loop can need"),
            "break" | "continue" => Error::new(span, format!("`{k}` is not supported"))
                .label("loops always run every iteration")
                .hint(format!(
                    "a circuit has a fixed size: keep a flag instead, e.g. `let mut done = false; for i in 0..N {{ if !done {{ ...; if cond {{ done = true; }} }} }}`{}",
                    if k == "continue" { " (for `continue`, put the rest of the body under `if !skip { ... }`)" } else { "" }
                )),
            _ => Error::new(span, "`return` is not supported")
                .label("functions return the value of their body")
                .hint("a function's result is the last expression of its body, without `;`; choose it with `if`/`else` or `match`"),
        };
        Some(e)
    }

    /// `for PAT in a..b { ... }`, `a..=b`, `(a..b).rev()`,
    /// `(a..b).step_by(k)`, or `for x in xs { ... }` over an array.
    fn for_stmt(&mut self) -> R<Stmt> {
        self.bump();
        let pat = self.pattern()?;
        if !self.eat_kw("in") {
            return self.unexpected("`in`");
        }
        let iter = self.restricted(Self::for_iter)?;
        let body = self.block()?;
        Ok(Stmt::For { pat, iter, body })
    }

    /// What a `for` loop runs over, up to its body.
    fn for_iter(&mut self) -> R<ForIter> {
        let iter = if self.is("(") {
            // `(a..b).rev()`, or a parenthesized array expression.
            self.bump();
            let lo = self.expr()?;
            if self.is("..") || self.is("..=") {
                let inclusive = self.bump_is("..=");
                let hi = self.expr()?;
                self.expect(")")?;
                let adapters = self.adapters()?;
                ForIter::Range {
                    lo,
                    hi,
                    inclusive,
                    adapters,
                }
            } else {
                self.expect(")")?;
                ForIter::Each(lo)
            }
        } else {
            let lo = self.expr()?;
            if self.is("..") || self.is("..=") {
                let inclusive = self.bump_is("..=");
                let hi = self.expr()?;
                ForIter::Range {
                    lo,
                    hi,
                    inclusive,
                    adapters: Vec::new(),
                }
            } else {
                ForIter::Each(lo)
            }
        };
        Ok(iter)
    }

    /// Consumes the current token; true if it was `p`.
    fn bump_is(&mut self, p: &str) -> bool {
        let yes = self.is(p);
        self.bump();
        yes
    }

    /// `.rev()` and `.step_by(k)` after a parenthesized range.
    fn adapters(&mut self) -> R<Vec<Adapter>> {
        let mut out = Vec::new();
        while self.eat(".") {
            match self.tok() {
                Tok::Ident(k) if k == "rev" => {
                    self.bump();
                    self.expect("(")?;
                    self.expect(")")?;
                    out.push(Adapter::Rev);
                }
                Tok::Ident(k) if k == "step_by" => {
                    self.bump();
                    self.expect("(")?;
                    let e = self.expr()?;
                    self.expect(")")?;
                    out.push(Adapter::StepBy(e));
                }
                _ => return self.unexpected("`rev()` or `step_by(k)`"),
            }
        }
        Ok(out)
    }

    /// `match x { pat | pat => expr, ..., _ => expr }`.
    fn match_expr(&mut self) -> R<Expr> {
        let start = self.bump();
        let scrut = self.restricted(Self::expr)?;
        self.expect("{")?;
        let mut arms = Vec::new();
        while !self.is("}") {
            if self.at_eof() {
                return self.unexpected("`}`");
            }
            if self.errors.len() >= MAX_ERRORS {
                return Err(Fail);
            }
            match self.match_arm() {
                Ok(arm) => arms.push(arm),
                Err(Fail) => self.sync_arm(),
            }
        }
        let end = self.bump();
        let e = Expr::new(ExprKind::Match(Box::new(scrut), arms), start.to(end));
        if e.height > MAX_HEIGHT {
            return self.too_deep(e.span);
        }
        Ok(e)
    }

    /// One arm `p | q => value` and the `,` after it.
    fn match_arm(&mut self) -> R<Arm> {
        let mut pats = vec![self.match_pat()?];
        while self.eat("|") {
            pats.push(self.match_pat()?);
        }
        if !self.eat("=>") {
            return self.unexpected("`=>` (arms are written `pattern => value,`)");
        }
        // A block body ends the arm (`{ ... } -1 => ...` is not a subtraction).
        let body = if self.is("{") {
            let b = self.block()?;
            let span = b.span;
            Expr::new(ExprKind::Block(b), span)
        } else {
            self.expr()?
        };
        let span = pats[0].span.to(body.span);
        let block_like = body.kind.is_block_like();
        if !self.eat(",") && !self.is("}") && !block_like {
            return self.unexpected("`,` or `}`");
        }
        Ok(Arm { pats, body, span })
    }

    /// Skips past a bad `match` arm: to just after its `,`, or to the `}`
    /// closing the `match`.
    fn sync_arm(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Punct("}") if depth == 0 => return,
                Tok::Punct(",") if depth == 0 => {
                    self.bump();
                    return;
                }
                Tok::Punct("{" | "(" | "[") => depth += 1,
                Tok::Punct("}" | ")" | "]") => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    /// An integer literal of a pattern, possibly negative.
    fn pat_int(&mut self) -> R<num_bigint::BigInt> {
        let negative = self.eat("-");
        let Tok::Int(n) = self.tok() else {
            return self.unexpected("an integer literal");
        };
        let n = num_bigint::BigInt::from(n.clone());
        self.bump();
        Ok(if negative { -n } else { n })
    }

    /// Alternatives `p | q` where a pattern nests (in parentheses, a tuple
    /// element or a struct field): one pattern, or a [`PatKind::Or`].
    fn match_pat_or(&mut self) -> R<MatchPat> {
        let first = self.match_pat()?;
        if !self.is("|") {
            return Ok(first);
        }
        let mut alts = vec![first];
        while self.eat("|") {
            alts.push(self.match_pat()?);
        }
        let span = alts[0].span.to(self.prev_span());
        Ok(MatchPat {
            kind: PatKind::Or(alts),
            span,
        })
    }

    /// A pattern: `_`, `42`, `-7`, `0xff`, `true`, `false`, a range
    /// `1..=5` or `0..8`, a name that binds the value, `n @ PAT`, a tuple
    /// `(0, y)`, a struct `P { x: 0, y, .. }` or `(p | q)`.
    fn match_pat(&mut self) -> R<MatchPat> {
        self.enter()?;
        let r = self.match_pat_inner();
        self.depth -= 1;
        r
    }

    fn match_pat_inner(&mut self) -> R<MatchPat> {
        let start = self.span();
        if matches!(self.tok(), Tok::Int(_) | Tok::Punct("-")) {
            let lo = self.pat_int()?;
            if !(self.is("..=") || self.is("..")) {
                return Ok(MatchPat {
                    kind: PatKind::Int(lo),
                    span: start.to(self.prev_span()),
                });
            }
            let inclusive = self.bump_is("..=");
            let hi = self.pat_int()?;
            return Ok(MatchPat {
                kind: PatKind::Range { lo, hi, inclusive },
                span: start.to(self.prev_span()),
            });
        }
        if self.eat("(") {
            return self.paren_pat(start);
        }
        let kind = match self.tok() {
            Tok::Ident(k) if k == "_" => PatKind::Wild,
            Tok::Ident(k) if k == "true" || k == "false" => PatKind::Bool(k == "true"),
            Tok::Ident(k) if !KEYWORDS.contains(&k.as_str()) => {
                let name = self.ident("a name")?;
                let span = name.span;
                if self.is("{") {
                    return self.struct_match_pat(name);
                }
                if self.eat("@") {
                    let inner = self.match_pat()?;
                    if matches!(inner.kind, PatKind::Bind(_) | PatKind::At(..)) {
                        let e = Error::new(inner.span, "expected a pattern that is not a name after `@`")
                            .label("already a name")
                            .hint(format!("`{} @ PATTERN` names the value that PATTERN matches, e.g. `{} @ 1..=5` or `{} @ (1 | 2)`", name.name, name.name, name.name));
                        return self.error(e);
                    }
                    let span = span.to(inner.span);
                    return Ok(MatchPat {
                        kind: PatKind::At(name, Box::new(inner)),
                        span,
                    });
                }
                return Ok(MatchPat {
                    kind: PatKind::Bind(name),
                    span,
                });
            }
            _ => {
                let found = self.tok().describe();
                let e = Error::new(
                    self.span(),
                    format!("expected a pattern, found {found}"),
                )
                .label("expected a literal, a range, a tuple, a struct or `_`")
                .hint("`match` patterns are literals (`3`, `-1`, `0xff`, `true`), ranges (`1..=5`), alternatives `1 | 2`, a name for every other value, `n @ PATTERN` to name the value a pattern matches, tuples `(0, y)`, structs `P { x: 0, .. }`, or `_`");
                return self.error(e);
            }
        };
        let end = self.bump();
        Ok(MatchPat {
            kind,
            span: start.to(end),
        })
    }

    /// After `(`: a tuple pattern `(p, q)` (`(p,)` has one element, `()`
    /// none), or one pattern in parentheses, such as `(1 | 2)`.
    fn paren_pat(&mut self, start: Span) -> R<MatchPat> {
        let mut elems = Vec::new();
        let mut comma = false;
        while !self.is(")") {
            elems.push(self.match_pat_or()?);
            if self.eat(",") {
                comma = true;
            } else if !self.is(")") {
                return self.unexpected("`,` or `)`");
            }
        }
        let end = self.bump();
        let span = start.to(end);
        if !comma && elems.len() == 1 {
            if let Some(inner) = elems.pop() {
                return Ok(MatchPat { span, ..inner });
            }
        }
        Ok(MatchPat {
            kind: PatKind::Tuple(elems),
            span,
        })
    }

    /// The `{ x: 0, y, .. }` after a struct's name in a `match` pattern.
    fn struct_match_pat(&mut self, name: Ident) -> R<MatchPat> {
        self.bump();
        let mut fields = Vec::new();
        let mut rest = false;
        while !self.is("}") {
            if self.eat("..") {
                rest = true;
                if !self.is("}") {
                    return self.unexpected("`}` (`..` comes last)");
                }
                break;
            }
            let id = self.ident("a field name")?;
            let pat = if self.eat(":") {
                self.match_pat_or()?
            } else {
                MatchPat {
                    kind: PatKind::Bind(id.clone()),
                    span: id.span,
                }
            };
            fields.push((id, pat));
            if !self.eat(",") && !self.is("}") {
                return self.unexpected("`,` or `}`");
            }
        }
        let end = self.bump();
        let span = name.span.to(end);
        Ok(MatchPat {
            kind: PatKind::Struct { name, fields, rest },
            span,
        })
    }

    fn if_expr(&mut self) -> R<Expr> {
        let start = self.bump();
        let cond = self.restricted(Self::expr)?;
        let then = self.block()?;
        let mut end = then.span;
        let els = if self.eat_kw("else") {
            let e = if self.is_kw("if") {
                self.enter()?;
                let r = self.if_expr();
                self.depth -= 1;
                r?
            } else {
                let b = self.block()?;
                let span = b.span;
                Expr::new(ExprKind::Block(b), span)
            };
            end = e.span;
            Some(Box::new(e))
        } else {
            None
        };
        Ok(Expr::new(
            ExprKind::If(Box::new(cond), then, els),
            start.to(end),
        ))
    }
}

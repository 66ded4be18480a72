//! The standard library: `.yao` modules shipped inside the compiler
//! (`compiler/std/*.yao`, embedded at build time), imported with
//! `use std::NAME;` from any file, wherever it is.

/// Every module, by name, with its source text.
pub const MODULES: &[(&str, &str)] = &[
    ("aes128", include_str!("../../std/aes128.yao")),
    ("array", include_str!("../../std/array.yao")),
    ("fixed", include_str!("../../std/fixed.yao")),
    ("sha256", include_str!("../../std/sha256.yao")),
    ("sort", include_str!("../../std/sort.yao")),
];

/// The source of module `name`, if there is one.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The names of all modules, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}

/// The closest module name to a misspelt `name`, if one is close.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    names()
        .map(|n| (strsim::levenshtein(name, n), n))
        .filter(|&(d, n)| d <= 2.max(n.len() / 3) && d < n.len().max(name.len()))
        .min()
        .map(|(_, n)| n)
}

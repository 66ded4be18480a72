//! The crate layout's rules, checked on the sources: dependencies point one
//! way (`yao-ir` <- `yao-compiler`; `yao-ir` <- `yao-core` <- `yao-runtime`
//! <- `yao`), and the core does no I/O. A change that breaks a rule fails
//! here rather than in a review.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The `yao-*` crates `manifest`'s `[dependencies]` section names.
fn yao_dependencies(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in read(manifest).lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && line.starts_with("yao") {
            deps.push(line.split(['.', ' ', '=']).next().unwrap().to_string());
        }
    }
    deps
}

#[test]
fn dependencies_point_one_way() {
    assert_eq!(yao_dependencies("ir/Cargo.toml"), Vec::<String>::new());
    assert_eq!(yao_dependencies("compiler/Cargo.toml"), ["yao-ir"]);
    assert_eq!(yao_dependencies("core/Cargo.toml"), ["yao-ir"]);
    assert_eq!(
        yao_dependencies("runtime/Cargo.toml"),
        ["yao-ir", "yao-core"]
    );
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p.display().to_string(), text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {dir}");
    out
}

#[test]
fn the_core_does_no_io() {
    for (path, text) in sources("core/src") {
        for banned in [
            "std::net",
            "std::fs",
            "std::io::Read",
            "std::io::Write",
            "Channel",
        ] {
            assert!(
                !text.contains(banned),
                "{path} uses `{banned}`: the core does no I/O"
            );
        }
    }
}

#[test]
fn the_core_and_the_compiler_keep_their_lints() {
    let core = read("core/src/lib.rs");
    assert!(core.contains("#![deny(missing_docs, unreachable_pub)]"));
    assert!(core.contains("#![deny(clippy::undocumented_unsafe_blocks)]"));
    assert!(read("compiler/src/lib.rs").contains("#![forbid(unsafe_code)]"));
    assert!(read("ir/src/lib.rs").contains("#![forbid(unsafe_code)]"));
}

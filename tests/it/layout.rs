//! The layout rule (docs/architecture.md): `lib.rs` lists the top-level modules bottom-up, and
//! each module may import only modules listed before it. Read from the source, so a `use` that
//! reaches up (and would start an import cycle) fails here instead of quietly rotting the layout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level modules named by `crate::x` paths and `use crate::{x, y::…}` groups, comments left out.
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}}`: the first segment of each top-level item.
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(item.trim().split("::").next().unwrap_or("").to_string());
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(item.trim().split("::").next().unwrap_or("").to_string());
        } else {
            out.insert(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
        }
    }
    out
}

#[test]
fn every_module_imports_only_modules_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let order: Vec<String> = lib.lines().filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';')).map(String::from).collect();
    assert!(order.len() > 10, "lib.rs lists the modules: {order:?}");
    let mut wrong = Vec::new();
    for (rank, m) in order.iter().enumerate() {
        let mut files = Vec::new();
        let dir = src.join(m);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{m}.rs")));
        }
        for f in files {
            for used in imports(&std::fs::read_to_string(&f).unwrap()) {
                if let Some(r) = order.iter().position(|x| *x == used)
                    && r > rank
                {
                    wrong.push(format!("{}: {m} imports {used}, which lib.rs lists above it", f.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let found = imports("use crate::{app::App, wire::{self, Service}};\nlet x = crate::state::Store::new(); // crate::admin\n");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["app", "state", "wire"]);
}

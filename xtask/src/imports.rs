//! No two source files of the workspace import each other: a test that
//! reads every crate's `use` declarations (`crate::`, `super::`, `self::`
//! paths, re-exports included) and fails on a pair of files that name
//! each other, the import circles that make a module hard to read alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module path of the crate rooted at `src` (`["engine", "shelf"]`),
/// with its file.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("a readable source dir")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(src)
                .expect("under src")
                .with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("lib" | "main" | "mod")
            ) {
                parts.pop();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The paths named by the `use` declarations of `text`, braces expanded
/// (`use crate::a::{b, c::d}` gives `crate::a::b` and `crate::a::c::d`),
/// each with the inline modules (`mod tls { ... }`) it sits in, so that
/// its `super::` and `self::` resolve from there.
fn use_paths(text: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0i32;
    let mut pending: Option<String> = None;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        let item = strip_visibility(code);
        if let Some(acc) = &mut pending {
            acc.push_str(code);
        } else if let Some(tree) = item.strip_prefix("use ") {
            pending = Some(tree.to_string());
        } else if let Some(name) = item.strip_prefix("mod ").and_then(|m| m.strip_suffix('{')) {
            inline.push((name.trim().to_string(), depth));
        }
        if let Some(acc) = pending.as_ref().filter(|a| a.contains(';')) {
            let tree: String = acc
                .split(';')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let mut paths = Vec::new();
            expand(&tree, &mut Vec::new(), &mut paths);
            let within: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
            out.extend(paths.into_iter().map(|p| (within.clone(), p)));
            pending = None;
        }
        depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        while inline.last().is_some_and(|&(_, d)| depth <= d) {
            inline.pop();
        }
    }
    out
}

/// `code` without a leading `pub`, `pub(crate)` or `pub(in ...)`.
fn strip_visibility(code: &str) -> &str {
    let Some(rest) = code.strip_prefix("pub") else {
        return code;
    };
    match rest.strip_prefix('(') {
        Some(r) => r
            .split_once(')')
            .map_or(code, |(_, after)| after.trim_start()),
        None if rest.starts_with(' ') => rest.trim_start(),
        None => code,
    }
}

/// Expands one `use` tree under `prefix` into `out`.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        let mut p = prefix.clone();
        p.extend(
            path.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        out.push(p);
        return;
    };
    let head: Vec<String> = tree[..open]
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let n = prefix.len();
    prefix.extend(head);
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&inner[start..i], prefix, out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        expand(&inner[start..], prefix, out);
    }
    prefix.truncate(n);
}

/// The file a path resolves to: its longest prefix that is a module.
fn resolve<'a>(mods: &'a BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<&'a PathBuf> {
    (0..=path.len()).rev().find_map(|k| mods.get(&path[..k]))
}

/// The pairs of files of the crate at `src` that import each other.
fn mutual_imports(src: &Path) -> Vec<(PathBuf, PathBuf)> {
    let edges = imports(src);
    edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone())))
        .cloned()
        .collect()
}

/// Which file of the crate at `src` imports which.
fn imports(src: &Path) -> BTreeSet<(PathBuf, PathBuf)> {
    let mods = modules(src);
    let mut edges: BTreeSet<(PathBuf, PathBuf)> = BTreeSet::new();
    for (module, file) in &mods {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (within, path) in use_paths(&text) {
            let mut here = module.clone();
            here.extend(within);
            let target = match path.first().map(String::as_str) {
                Some("crate") => resolve(&mods, &path[1..]),
                Some("self") => {
                    let mut p = here;
                    p.extend_from_slice(&path[1..]);
                    resolve(&mods, &p)
                }
                Some("super") => {
                    let ups = path.iter().take_while(|s| *s == "super").count();
                    let mut p = here[..here.len().saturating_sub(ups)].to_vec();
                    p.extend_from_slice(&path[ups..]);
                    resolve(&mods, &p)
                }
                _ => None,
            };
            if let Some(target) = target.filter(|t| *t != file) {
                edges.insert((file.clone(), target.clone()));
            }
        }
    }
    edges
}

#[test]
fn no_two_files_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut srcs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("the crates dir")
        .flatten()
        .map(|e| e.path().join("src"))
        .collect();
    srcs.extend([root.join("xtask/src"), root.join("benches/src")]);
    let (mut circles, mut edges) = (Vec::new(), 0);
    for src in srcs.iter().filter(|s| s.is_dir()) {
        circles.extend(mutual_imports(src));
        edges += imports(src).len();
    }
    assert!(
        circles.is_empty(),
        "files that import each other: {circles:#?}"
    );
    assert!(edges > 100, "the imports were read: {edges}");
    assert!(srcs.len() >= 8, "every crate read: {srcs:?}");
}

#[test]
fn a_circle_is_found() {
    let dir = std::env::temp_dir().join(format!("xtask-imports-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(
        dir.join("a.rs"),
        "use crate::b::{B, more::{C}};\npub struct A;\nmod inner;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a/inner.rs"),
        "pub(crate) use super::A;\n#[cfg(x)]\nmod deep {\n    use super::super::b::B;\n}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "use std::fmt;\npub use crate::a::A as Other;\npub struct B;\n",
    )
    .unwrap();
    let inner = std::fs::read_to_string(dir.join("a/inner.rs")).unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        use_paths(&inner),
        [
            (s(&[]), s(&["super", "A"])),
            (s(&["deep"]), s(&["super", "super", "b", "B"])),
            (s(&["tests"]), s(&["super", "*"])),
        ]
    );
    let found = mutual_imports(&dir);
    assert_eq!(found, [(dir.join("a.rs"), dir.join("b.rs"))]);
    // A child that names its parent, without the parent naming it back,
    // is no circle.
    std::fs::write(dir.join("b.rs"), "pub struct B;\n").unwrap();
    assert!(mutual_imports(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

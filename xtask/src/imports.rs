//! No import circles in the workspace: a test that reads every crate's
//! `use` declarations and fails on files that import each other, directly
//! or around a loop, which make a module hard to read alone.
//!
//! A path is followed through re-exports to the file that defines what it
//! names: `use crate::FixedPool` in a module of pool-fixed imports
//! `pool.rs`, where `FixedPool` is, not `lib.rs`, which only re-exports
//! it. A module and its own submodules may name each other (a child
//! using its parent's items, the parent re-exporting the child's: one
//! module split into files); any other loop of imports, of two files or
//! more, fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path within a crate (`["engine", "shelf"]`; the root is empty).
type ModPath = Vec<String>;

/// Each module path of the crate rooted at `src`, with its file.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
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
            let mut parts: ModPath = rel
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

/// One path of a `use` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    /// The inline modules (`mod tls { ... }`) it sits in, within its file.
    within: ModPath,
    /// The path as written (`crate`, `super`, `self` or a first name).
    path: ModPath,
    /// The name it brings in (its last segment, or the `as` alias).
    name: String,
    /// A `pub use`: a re-export.
    public: bool,
}

/// The paths named by the `use` declarations of `text`, braces expanded
/// (`use crate::a::{b, c::d}` gives `crate::a::b` and `crate::a::c::d`).
fn use_paths(text: &str) -> Vec<Use> {
    let mut out = Vec::new();
    let mut inline: Vec<(String, i32)> = Vec::new();
    let mut depth = 0i32;
    let mut pending: Option<(String, bool)> = None;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        let item = strip_visibility(code);
        if let Some((acc, _)) = &mut pending {
            acc.push(' ');
            acc.push_str(code);
        } else if let Some(tree) = item.strip_prefix("use ") {
            pending = Some((tree.to_string(), item.len() != code.len()));
        } else if let Some(name) = item.strip_prefix("mod ").and_then(|m| m.strip_suffix('{')) {
            inline.push((name.trim().to_string(), depth));
        }
        if let Some((acc, public)) = pending.take() {
            if acc.contains(';') {
                let tree = acc.split(';').next().unwrap_or("");
                let tree = tree.split_whitespace().collect::<Vec<_>>().join(" ");
                let mut paths = Vec::new();
                expand(&tree, &mut Vec::new(), &mut paths);
                let within: ModPath = inline.iter().map(|(n, _)| n.clone()).collect();
                out.extend(paths.into_iter().map(|(path, name)| Use {
                    within: within.clone(),
                    path,
                    name,
                    public,
                }));
            } else {
                pending = Some((acc, public));
            }
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

/// Expands one `use` tree under `prefix` into `out`: each path with the
/// name it brings in.
fn expand(tree: &str, prefix: &mut ModPath, out: &mut Vec<(ModPath, String)>) {
    let Some(open) = tree.find('{') else {
        let (path, alias) = match tree.split_once(" as ") {
            Some((p, a)) => (p.trim(), Some(a.trim())),
            None => (tree.trim(), None),
        };
        let mut p = prefix.clone();
        p.extend(
            path.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
        let name = alias
            .map(str::to_string)
            .or_else(|| p.last().cloned())
            .unwrap_or_default();
        out.push((p, name));
        return;
    };
    let head: ModPath = tree[..open]
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
    if start < inner.len() && !inner[start..].trim().is_empty() {
        expand(&inner[start..], prefix, out);
    }
    prefix.truncate(n);
}

/// `path` as written in module `here`, from the crate root; `None` for a
/// path into another crate.
fn absolute(
    mods: &BTreeMap<ModPath, PathBuf>,
    here: &[String],
    path: &[String],
) -> Option<ModPath> {
    let (base, rest): (ModPath, &[String]) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (here.to_vec(), &path[1..]),
        Some("super") => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            (
                here[..here.len().saturating_sub(ups)].to_vec(),
                &path[ups..],
            )
        }
        // A child module's path (`use shelf::Shelf` in its parent); any
        // other first name is a crate.
        Some(first) => {
            let mut child = here.to_vec();
            child.push(first.to_string());
            if !mods.contains_key(&child) {
                return None;
            }
            (here.to_vec(), path)
        }
        None => return None,
    };
    let mut p = base;
    p.extend_from_slice(rest);
    Some(p)
}

/// The file that defines what `path` (from the crate root) names: the
/// longest module prefix, followed through that module's re-exports.
fn defining_file<'a>(
    mods: &'a BTreeMap<ModPath, PathBuf>,
    reexports: &BTreeMap<(ModPath, String), ModPath>,
    path: &[String],
) -> Option<&'a PathBuf> {
    let mut path = path.to_vec();
    for _ in 0..16 {
        let k = (0..=path.len())
            .rev()
            .find(|&k| mods.contains_key(&path[..k]))?;
        match path
            .get(k)
            .and_then(|name| reexports.get(&(path[..k].to_vec(), name.clone())))
        {
            Some(target) if *target != path[..=k] => {
                let mut next = target.clone();
                next.extend_from_slice(&path[k + 1..]);
                path = next;
            }
            _ => return mods.get(&path[..k]),
        }
    }
    None
}

/// Which file of the crate at `src` imports which.
fn imports(src: &Path) -> BTreeSet<(PathBuf, PathBuf)> {
    let mods = modules(src);
    let mut uses: Vec<(&PathBuf, ModPath)> = Vec::new();
    let mut reexports: BTreeMap<(ModPath, String), ModPath> = BTreeMap::new();
    for (module, file) in &mods {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for u in use_paths(&text) {
            let mut here = module.clone();
            here.extend(u.within.iter().cloned());
            let Some(abs) = absolute(&mods, &here, &u.path) else {
                continue;
            };
            if u.public && u.name != "*" {
                reexports.insert((here, u.name), abs.clone());
            }
            uses.push((file, abs));
        }
    }
    uses.into_iter()
        .filter_map(|(file, abs)| {
            let target = defining_file(&mods, &reexports, &abs)?;
            (target != file).then(|| (file.clone(), target.clone()))
        })
        .collect()
}

/// Whether one of the two files is the module of the other or an
/// ancestor of it (`engine/mod.rs` and `engine/shelf.rs`, `lib.rs` and
/// any file of its crate).
fn nested(mods: &BTreeMap<ModPath, PathBuf>, a: &Path, b: &Path) -> bool {
    let path_of = |f: &Path| {
        mods.iter()
            .find(|(_, v)| v.as_path() == f)
            .map(|(k, _)| k.clone())
    };
    match (path_of(a), path_of(b)) {
        (Some(x), Some(y)) => x.starts_with(&y) || y.starts_with(&x),
        _ => false,
    }
}

/// The import circles of the crate at `src` between files that are not
/// nested (see [`nested`]): each as the files around it, from the
/// smallest.
fn circles(src: &Path) -> Vec<Vec<PathBuf>> {
    let mods = modules(src);
    let mut next: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for (a, b) in imports(src) {
        if !nested(&mods, &a, &b) {
            next.entry(a).or_default().push(b);
        }
    }
    // Each circle is found from its smallest file, by a walk that only
    // visits larger ones.
    let mut found = Vec::new();
    for start in next.keys() {
        let mut stack: Vec<(PathBuf, usize)> = vec![(start.clone(), 0)];
        while let Some((file, i)) = stack.pop() {
            let Some(to) = next.get(&file).and_then(|v| v.get(i)).cloned() else {
                continue;
            };
            stack.push((file, i + 1));
            if to == *start {
                found.push(stack.iter().map(|(f, _)| f.clone()).collect());
            } else if to > *start && !stack.iter().any(|(f, _)| *f == to) && stack.len() < 8 {
                stack.push((to, 0));
            }
        }
    }
    found
}

/// The pairs of files of the crate at `src` that import each other
/// directly, nested or not.
fn mutual_imports(src: &Path) -> Vec<(PathBuf, PathBuf)> {
    let edges = imports(src);
    edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone())))
        .cloned()
        .collect()
}

#[test]
fn no_import_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut srcs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("the crates dir")
        .flatten()
        .map(|e| e.path().join("src"))
        .collect();
    srcs.extend([root.join("xtask/src"), root.join("benches/src")]);
    let (mut found, mut edges) = (Vec::new(), 0);
    for src in srcs.iter().filter(|s| s.is_dir()) {
        found.extend(circles(src));
        edges += imports(src).len();
    }
    assert!(found.is_empty(), "import circles: {found:#?}");
    assert!(edges > 100, "the imports were read: {edges}");
    assert!(srcs.len() >= 8, "every crate read: {srcs:?}");
}

#[test]
fn circles_are_found_through_re_exports() {
    let dir = std::env::temp_dir().join(format!("xtask-imports-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    let write = |f: &str, text: &str| std::fs::write(dir.join(f), text).unwrap();
    // The root re-exports both; `a` and `b` each use the other's item
    // through the root: a circle between a.rs and b.rs, none with lib.rs.
    write(
        "lib.rs",
        "mod a;\nmod b;\npub use a::A;\npub use b::{B as Bee, more};\n",
    );
    write(
        "a.rs",
        "use crate::{Bee, more::C};\npub struct A;\nmod inner;\n",
    );
    write(
        "a/inner.rs",
        "pub(crate) use super::A;\npub struct I;\n#[cfg(x)]\nmod deep {\n    use super::super::super::b::B;\n}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
    );
    write(
        "b.rs",
        "use std::fmt;\nuse crate::A as Other;\npub struct B;\npub mod more {}\n",
    );
    let inner = std::fs::read_to_string(dir.join("a/inner.rs")).unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<ModPath>();
    let found: Vec<(ModPath, ModPath)> = use_paths(&inner)
        .into_iter()
        .map(|u| (u.within, u.path))
        .collect();
    assert_eq!(
        found,
        [
            (s(&[]), s(&["super", "A"])),
            (s(&["deep"]), s(&["super", "super", "super", "b", "B"])),
            (s(&["tests"]), s(&["super", "*"])),
        ]
    );
    assert_eq!(mutual_imports(&dir), [(dir.join("a.rs"), dir.join("b.rs"))]);
    assert_eq!(circles(&dir), [vec![dir.join("a.rs"), dir.join("b.rs")]]);
    // a/inner.rs names `super::A`, which a.rs defines: once a.rs names
    // inner's `I` too, parent and child import each other...
    write("a.rs", "use inner::I;\npub struct A;\nmod inner;\n");
    assert_eq!(
        mutual_imports(&dir),
        [(dir.join("a/inner.rs"), dir.join("a.rs"))]
    );
    // ... which is one module split into files, not a circle.
    assert!(circles(&dir).is_empty());
    // A loop of three: a names b, b names c, c names a.
    write("lib.rs", "mod a;\nmod b;\nmod c;\n");
    write("a.rs", "use crate::b::B;\npub struct A;\nmod inner;\n");
    write("b.rs", "use crate::c::C;\npub struct B;\n");
    write("c.rs", "use crate::a::A;\npub struct C;\n");
    assert!(mutual_imports(&dir).is_empty());
    assert_eq!(
        circles(&dir),
        [vec![dir.join("a.rs"), dir.join("b.rs"), dir.join("c.rs")]]
    );
    write("c.rs", "pub struct C;\n");
    assert!(circles(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

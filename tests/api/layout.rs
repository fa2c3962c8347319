//! The server's layout holds its two rules (docs/architecture.md): each table has one owning
//! module, the only one whose code runs SQL on it; and no module imports, directly or through
//! others, a module that imports it.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The owner of each table, as a file under `src/server/`.
const OWNERS: &[(&str, &str)] = &[
    ("users", "identity/users.rs"),
    ("user_sessions", "sessions/index.rs"),
    ("session_records", "sessions/store/sql.rs"),
    ("app_counters", "sessions/store/sql.rs"),
    ("app_secrets", "platform/secrets.rs"),
    ("throttle_counters", "identity/throttle.rs"),
    ("email_tokens", "identity/tokens.rs"),
    ("mail_outbox", "mail/outbox.rs"),
    ("totp_factors", "identity/second_factor/totp.rs"),
    ("recovery_codes", "identity/second_factor/recovery.rs"),
    ("audit_events", "audit/mod.rs"),
    ("todos", "todos/repo.rs"),
    ("customers", "customers/repo.rs"),
];

fn server_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server")
}

/// Every `.rs` file under `dir`, relative to `root`, with its code: comments and the unit tests
/// at the bottom left out.
fn sources(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            let code: String = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap()
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(relative, code);
        }
    }
}

fn server_sources() -> BTreeMap<String, String> {
    let root = server_root();
    let mut out = BTreeMap::new();
    sources(&root, &root, &mut out);
    assert!(out.len() > 40, "found only {} files", out.len());
    out
}

#[test]
fn each_table_is_queried_only_by_its_owner() {
    let mut strays = Vec::new();
    for (file, code) in server_sources() {
        for keyword in ["FROM", "INTO", "UPDATE", "JOIN", "TABLE"] {
            for piece in code.split(&format!("{keyword} ")).skip(1) {
                let table: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                let Some((_, owner)) = OWNERS.iter().find(|(name, _)| *name == table) else {
                    continue;
                };
                if *owner != file {
                    strays.push(format!("{file}: {keyword} {table} (owner: {owner})"));
                }
            }
        }
    }
    assert!(
        strays.is_empty(),
        "SQL outside the owning module:\n{}",
        strays.join("\n")
    );
}

/// The module a file is (`identity::users` for `identity/users.rs`, `sessions` for
/// `sessions/mod.rs`).
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let prefix = tree[..open].trim_end_matches(':');
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let (mut items, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            items.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    items.push(current);
    items
        .iter()
        .filter(|item| !item.trim().is_empty())
        .flat_map(|item| expand(item))
        .map(|path| {
            if prefix.is_empty() {
                path
            } else {
                format!("{prefix}::{path}")
            }
        })
        .collect()
}

/// The server module a path used from `module` names, if it names one.
fn resolve(module: &[String], path: &str, modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path
        .split("::")
        .map(|s| s.split(" as ").next().unwrap().trim())
        .filter(|s| !s.is_empty())
        .collect();
    let mut base: Vec<String> = module.to_vec();
    match segments.first().copied() {
        Some("crate") if segments.get(1) == Some(&"server") => {
            base.clear();
            segments.drain(..2);
        }
        Some("super") => {
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
        }
        Some("self") => {
            segments.remove(0);
        }
        _ => return None,
    }
    let full: Vec<String> = base
        .into_iter()
        .chain(segments.iter().map(|s| s.to_string()))
        .collect();
    (1..=full.len())
        .rev()
        .map(|n| full[..n].to_vec())
        .find(|candidate| modules.contains(candidate))
}

#[test]
fn the_server_modules_import_no_cycle() {
    let sources = server_sources();
    let modules: BTreeSet<Vec<String>> = sources.keys().map(|file| module_of(file)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (file, code) in &sources {
        let module = module_of(file);
        let mut paths = Vec::new();
        // `use` statements: from a line that starts one to the `;` that ends it.
        let mut lines = code.lines();
        while let Some(line) = lines.next() {
            let line = line.trim_start();
            let Some(mut statement) = line
                .strip_prefix("use ")
                .or_else(|| line.strip_prefix("pub use "))
                .map(str::to_owned)
            else {
                continue;
            };
            while !statement.contains(';') {
                match lines.next() {
                    Some(more) => statement.push_str(more),
                    None => break,
                }
            }
            let tree: String = statement
                .split(';')
                .next()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            paths.extend(expand(&tree));
        }
        for start in ["crate::server::", "super::"] {
            for piece in code.split(start).skip(1) {
                let rest: String = piece
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                paths.push(format!("{start}{rest}"));
            }
        }
        let deps = edges.entry(module.clone()).or_default();
        for path in paths {
            if let Some(target) = resolve(&module, &path, &modules)
                && target != module
                && !module.starts_with(&target)
            {
                deps.insert(target);
            }
        }
    }

    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        path: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            return Some(path[start..].to_vec());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        path.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
            panic!("import cycle: {} -> back", names.join(" -> "));
        }
    }
    assert!(edges.len() > 40);
}

/// `docs/security.md` names the tests that pin each item: every name it gives is a test that
/// exists, so the map cannot drift from the suite.
#[test]
fn the_security_map_names_only_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = fs::read_to_string(root.join("docs/security.md")).unwrap();
    // The last column of each table row: the tests.
    let pinned: String = map
        .lines()
        .filter(|line| line.starts_with('|'))
        .filter_map(|line| line.trim_end_matches('|').rsplit('|').next())
        .collect::<Vec<_>>()
        .join("\n");
    let mut checked = 0;
    let mut missing = Vec::new();
    for (i, quoted) in pinned.split('`').enumerate() {
        // The odd pieces are the quoted ones.
        if i % 2 == 0 {
            continue;
        }
        let (file, names) = if let Some((path, names)) = quoted.split_once(".rs::tests::") {
            (root.join(format!("{path}.rs")), names)
        } else if let Some((module, name)) = quoted.split_once("::")
            && !module.is_empty()
            && module.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && root.join(format!("tests/api/{module}.rs")).exists()
        {
            (root.join(format!("tests/api/{module}.rs")), name)
        } else {
            continue;
        };
        let source = fs::read_to_string(&file).unwrap();
        for name in names
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .map(str::trim)
            .filter(|name| !name.contains('*'))
        {
            checked += 1;
            if !source.contains(&format!("fn {name}(")) {
                missing.push(format!("{}: {name}", file.display()));
            }
        }
    }
    assert!(
        checked > 60,
        "only {checked} test names found in docs/security.md"
    );
    assert!(
        missing.is_empty(),
        "docs/security.md names tests that do not exist: {missing:#?}"
    );
}

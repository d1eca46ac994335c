//! The architecture as a test: the engine names no stream and no LinkedIn resource, and
//! the dependency arrows between layers point one way (docs/architecture.md).

use std::path::PathBuf;

use source_linkedin_pages::streams::STREAMS;

use crate::harness::*;

/// The text of every `.rs` file under `src/{dir}`.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![repo(&format!("src/{dir}"))];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

#[test]
fn the_engine_names_no_stream_and_no_resource() {
    let mut names: Vec<String> = Vec::new();
    // Quoted always; bare when the name cannot be an English word (snake or camel case).
    let distinctive = |n: &str| n.contains('_') || n.chars().any(|c| c.is_ascii_uppercase());
    for n in STREAMS.iter().flat_map(|s| [s.name, s.endpoint.resource()]) {
        names.push(format!("\"{n}\""));
        if distinctive(n) {
            names.push(n.to_string());
        }
    }
    // Resources the engine reaches only through data on the rows.
    names.extend(["socialMetadata", "organizationAcls"].map(String::from));
    for (path, text) in sources("engine") {
        for n in &names {
            assert!(
                !text.contains(n.as_str()),
                "{} names {n}: make it data on the stream's row or its kind",
                path.display()
            );
        }
    }
}

#[test]
fn layers_depend_one_way() {
    let forbidden = [
        ("linkedin", "crate::config"),
        ("linkedin", "crate::engine"),
        ("linkedin", "crate::streams"),
        ("linkedin", "crate::commands"),
        ("streams", "crate::engine"),
        ("streams", "crate::commands"),
        ("engine", "crate::commands"),
        ("domain", "crate::"),
        ("protocol", "crate::engine"),
        ("protocol", "crate::linkedin"),
    ];
    for (dir, import) in forbidden {
        for (path, text) in sources(dir) {
            let uses = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains(import));
            assert!(!uses, "{} uses {import}", path.display());
        }
    }
    for (path, text) in sources("config") {
        assert!(
            !text.contains("crate::linkedin"),
            "{} uses linkedin/",
            path.display()
        );
    }
    for file in [
        "src/commands/check.rs",
        "src/commands/check/probes.rs",
        "src/commands/check_token.rs",
    ] {
        let text = std::fs::read_to_string(repo(file)).unwrap();
        assert!(!text.contains("crate::engine"), "{file} uses the engine");
    }
}

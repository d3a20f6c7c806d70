//! Embeds every contract (`*.schema.json` beside this file) and the fixtures
//! its manifest can refer to (`../fixtures/<contract>/`, except `invalid/`,
//! which only tests read). Adding a contract means adding files, never Rust.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let crate_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let fixtures_root = crate_dir.join("..").join("fixtures");
    println!("cargo::rerun-if-changed={}", crate_dir.display());
    println!("cargo::rerun-if-changed={}", fixtures_root.display());

    let mut schema_files: Vec<PathBuf> = fs::read_dir(&crate_dir)
        .expect("read the schemas directory")
        .map(|entry| entry.expect("read a directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with(".schema.json"))
        .collect();
    schema_files.sort();

    let mut out = String::from("static EMBEDDED_CONTRACTS: &[EmbeddedContract] = &[\n");
    for schema in &schema_files {
        let file_name = schema
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        let name = file_name.trim_end_matches(".schema.json");
        let fixture_dir = fixtures_root.join(name);
        println!("cargo::rerun-if-changed={}", fixture_dir.display());
        let mut fixtures = Vec::new();
        collect_fixtures(&fixture_dir, &fixture_dir, &mut fixtures);
        fixtures.sort();
        writeln!(out, "    EmbeddedContract {{\n        file: {file_name:?},\n        schema: include_str!({:?}),\n        fixtures: &[", schema.display()).unwrap();
        for (relative, path) in fixtures {
            writeln!(
                out,
                "            ({relative:?}, include_str!({:?})),",
                path.display()
            )
            .unwrap();
        }
        out.push_str("        ],\n    },\n");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("embedded.rs");
    fs::write(dest, out).expect("write embedded.rs");
}

fn collect_fixtures(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("read a directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "invalid") {
                continue;
            }
            println!("cargo::rerun-if-changed={}", path.display());
            collect_fixtures(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            let relative = path.strip_prefix(root).expect("under root");
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((relative, path));
        }
    }
}

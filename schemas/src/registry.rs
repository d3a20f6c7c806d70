//! The set of known contracts: the embedded ones, or any set of sources.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::contract::Contract;
use crate::error::ContractError;

/// A contract's files, as text: the schema file and the fixtures it may name.
#[derive(Debug, Clone)]
pub struct ContractSource {
    /// `<name>.schema.json`.
    pub file: String,
    pub schema: String,
    /// `(path relative to fixtures/<name>/, text)`.
    pub fixtures: Vec<(String, String)>,
}

/// All contracts, loaded and checked.
#[derive(Debug)]
pub struct Registry {
    contracts: Vec<Contract>,
    /// The names of the contracts loaded from files (the rest are built in).
    from_files: Vec<String>,
}

struct EmbeddedContract {
    file: &'static str,
    schema: &'static str,
    fixtures: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

static BUILTIN: LazyLock<Result<Registry, ContractError>> =
    LazyLock::new(|| Registry::from_sources(Registry::embedded_sources()));

/// The most a contract file or one fixture may weigh: far above any real one.
const MAX_FILE: u64 = 4 * 1024 * 1024;

impl ContractSource {
    /// A contract from disk: `<name>.schema.json`, and its fixtures from the
    /// first of `fixtures/<name>/` beside the file or `../fixtures/<name>/`
    /// (the repository's layout) that exists. Every file under it except
    /// `invalid/` is read, as the build embeds the built-ins.
    pub fn from_file(path: &Path) -> Result<Self, ContractError> {
        let shown = path.display().to_string();
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| n.ends_with(".schema.json") && n.len() > ".schema.json".len())
            .ok_or_else(|| {
                ContractError::manifest(&shown, "a contract file is named <name>.schema.json")
            })?
            .to_owned();
        let schema = read_bounded(path)?;
        let name = file.trim_end_matches(".schema.json");
        let dir = path.parent().unwrap_or(Path::new("."));
        let candidates = [
            dir.join("fixtures").join(name),
            dir.join("..").join("fixtures").join(name),
        ];
        let mut fixtures = Vec::new();
        if let Some(root) = candidates.iter().find(|c| c.is_dir()) {
            collect(root, root, &mut fixtures)?;
        }
        fixtures.sort();
        Ok(Self {
            file,
            schema,
            fixtures,
        })
    }

    /// Every `*.schema.json` in `dir`, by name.
    pub fn from_dir(dir: &Path) -> Result<Vec<Self>, ContractError> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ContractError::manifest(
                &dir.display().to_string(),
                format!("cannot read the directory: {e}"),
            )
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".schema.json"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ContractError::manifest(
                &dir.display().to_string(),
                "no <name>.schema.json file in this directory",
            ));
        }
        files.iter().map(|f| Self::from_file(f)).collect()
    }
}

fn read_bounded(path: &Path) -> Result<String, ContractError> {
    use std::io::Read as _;
    let shown = path.display().to_string();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_string(&mut text))
        .map_err(|e| ContractError::manifest(&shown, format!("cannot read: {e}")))?;
    if text.len() as u64 > MAX_FILE {
        return Err(ContractError::manifest(
            &shown,
            format!("larger than {MAX_FILE} bytes"),
        ));
    }
    Ok(text)
}

/// The fixtures under `root`, as `(path relative to root, text)`, without `invalid/`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), ContractError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ContractError::manifest(
            &dir.display().to_string(),
            format!("cannot read the fixtures: {e}"),
        )
    })?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "invalid") {
                continue;
            }
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let relative = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            out.push((relative, read_bounded(&path)?));
        }
    }
    Ok(())
}

impl Registry {
    /// The built-in contracts with `extra` loaded beside them; an extra
    /// contract with a built-in's name replaces it. Also says, for people,
    /// what replaced what.
    pub fn with(extra: Vec<ContractSource>) -> Result<(Self, Vec<String>), ContractError> {
        let mut notes = Vec::new();
        let extra_names: Vec<String> = extra
            .iter()
            .map(|s| s.file.trim_end_matches(".schema.json").to_owned())
            .collect();
        let mut sources: Vec<ContractSource> = Self::embedded_sources()
            .into_iter()
            .filter(|builtin| {
                let name = builtin.file.trim_end_matches(".schema.json");
                let replaced = extra_names.iter().any(|n| n == name);
                if replaced {
                    notes.push(format!(
                        "the contract `{name}` loaded from a file replaces the built-in one"
                    ));
                }
                !replaced
            })
            .collect();
        sources.extend(extra);
        let mut registry = Self::from_sources(sources)?;
        registry.from_files = extra_names;
        Ok((registry, notes))
    }

    /// The contracts embedded in this build.
    ///
    /// The embedded files are part of the build, and a test loads them, so
    /// an error here is a defect of this crate, not of the caller's input.
    pub fn builtin() -> &'static Registry {
        match &*BUILTIN {
            Ok(registry) => registry,
            Err(error) => panic!("the embedded contracts do not load: {error}"),
        }
    }

    /// The embedded contracts as sources, e.g. to load them alongside others.
    pub fn embedded_sources() -> Vec<ContractSource> {
        EMBEDDED_CONTRACTS
            .iter()
            .map(|c| ContractSource {
                file: c.file.to_owned(),
                schema: c.schema.to_owned(),
                fixtures: c
                    .fixtures
                    .iter()
                    .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
                    .collect(),
            })
            .collect()
    }

    pub fn from_sources(
        sources: impl IntoIterator<Item = ContractSource>,
    ) -> Result<Self, ContractError> {
        let mut contracts: Vec<Contract> = Vec::new();
        for source in sources {
            let contract = Contract::load(&source.file, &source.schema, &source.fixtures)?;
            if contracts.iter().any(|c| c.name == contract.name) {
                return Err(ContractError::manifest(
                    &source.file,
                    format!("a contract named `{}` is already loaded", contract.name),
                ));
            }
            contracts.push(contract);
        }
        Ok(Self {
            contracts,
            from_files: Vec::new(),
        })
    }

    /// Whether the contract `name` is one of this build's own (not loaded
    /// from a file, not replaced by one).
    pub fn is_builtin(&self, name: &str) -> bool {
        !self.from_files.iter().any(|n| n == name)
            && Self::builtin().contracts.iter().any(|c| c.name == name)
    }

    /// The contract called `name`.
    pub fn get(&self, name: &str) -> Result<&Contract, ContractError> {
        self.contracts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ContractError::UnknownContract {
                hint: crate::error::hint(name, self.contracts.iter().map(|c| c.name.as_str())),
                name: name.to_owned(),
                known: self.names().join(", "),
            })
    }

    /// The built-in contracts with those in `files` and every
    /// `*.schema.json` in `dirs` loaded beside them, for the rest of the
    /// process (the built-in registry itself when none is given), and what
    /// replaced what. What both binaries load their contracts with.
    pub fn loaded(
        files: &[PathBuf],
        dirs: &[PathBuf],
    ) -> Result<(&'static Registry, Vec<String>), ContractError> {
        if files.is_empty() && dirs.is_empty() {
            return Ok((Self::builtin(), Vec::new()));
        }
        let mut sources = Vec::new();
        for dir in dirs {
            sources.extend(ContractSource::from_dir(dir)?);
        }
        for file in files {
            sources.push(ContractSource::from_file(file)?);
        }
        let (registry, notes) = Self::with(sources)?;
        Ok((registry.leak(), notes))
    }

    /// This registry for the rest of the process: what a binary does with
    /// the contracts it loaded at start, so every mount and request shares them.
    pub fn leak(self) -> &'static Registry {
        Box::leak(Box::new(self))
    }

    pub fn contracts(&self) -> &[Contract] {
        &self.contracts
    }

    pub fn names(&self) -> Vec<&str> {
        self.contracts.iter().map(|c| c.name.as_str()).collect()
    }
}

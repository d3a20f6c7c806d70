//! The set of known contracts: the embedded ones, or any set of sources.

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
}

struct EmbeddedContract {
    file: &'static str,
    schema: &'static str,
    fixtures: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

static BUILTIN: LazyLock<Result<Registry, ContractError>> =
    LazyLock::new(|| Registry::from_sources(Registry::embedded_sources()));

impl Registry {
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
        Ok(Self { contracts })
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

    pub fn contracts(&self) -> &[Contract] {
        &self.contracts
    }

    pub fn names(&self) -> Vec<&str> {
        self.contracts.iter().map(|c| c.name.as_str()).collect()
    }
}

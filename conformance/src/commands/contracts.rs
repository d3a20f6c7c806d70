//! `contracts`: what the runner knows, for people choosing flags and for tools.

use std::io::Write;

use serde_json::{Value, json};
use session_schemas::{Auth, Contract};

use crate::cli::{ContractsAction, ContractsArgs, Format, ImportArgs};
use crate::error::{CliError, RunOutcome};

pub fn run(args: &ContractsArgs, out: &mut dyn Write) -> Result<RunOutcome, CliError> {
    let (registry, notes) = super::registry(&args.contract, &args.sources)?;
    for note in notes {
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
    let contracts = registry.contracts();
    if let Some(ContractsAction::Import(import)) = &args.action {
        return import_contract(import, out);
    }
    if let Some(ContractsAction::Export(export)) = &args.action {
        let chosen: Vec<&Contract> = if export.names.is_empty() {
            contracts.iter().collect()
        } else {
            export
                .names
                .iter()
                .map(|name| registry.get(name))
                .collect::<Result<_, _>>()?
        };
        let document = crate::openapi::export(&chosen)?;
        let text =
            serde_json::to_string_pretty(&document).map_err(|e| CliError::Write(e.into()))?;
        return match &export.out {
            Some(path) => std::fs::write(path, text + "\n")
                .map(|()| RunOutcome::Conformant)
                .map_err(|source| CliError::WriteFile {
                    path: path.clone(),
                    source,
                }),
            None => writeln!(out, "{text}")
                .map(|()| RunOutcome::Conformant)
                .map_err(CliError::Write),
        };
    }
    let written = match args.output.format {
        Format::Json => {
            let listing: Vec<Value> = contracts.iter().map(describe).collect();
            serde_json::to_writer_pretty(&mut *out, &listing)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        Format::Human => contracts.iter().try_for_each(|c| write_human(c, out)),
    };
    written.map_err(CliError::Write)?;
    Ok(RunOutcome::Conformant)
}

fn credential(auth: &Auth) -> String {
    match auth {
        Auth::Bearer => "Authorization: Bearer <token>".to_owned(),
        Auth::Cookie { names } => format!("cookie {}", names.join(" | ")),
    }
}

fn describe(contract: &Contract) -> Value {
    json!({
        "name": contract.name,
        "title": contract.title,
        "source": contract.source,
        "method": contract.method,
        "path": contract.path,
        "credential": credential(&contract.auth),
        "responses": contract.responses.iter().map(|r| json!({"status": r.status, "description": r.description, "schema": r.schema_pointer})).collect::<Vec<_>>(),
        "scenarios": contract.scenarios.iter().map(|s| json!({
            "name": s.name, "aliases": s.aliases, "status": s.status, "documented": s.is_documented(), "off_contract": s.off_contract,
        })).collect::<Vec<_>>(),
        "examples": contract.examples.iter().map(|e| json!({"name": e.name, "status": e.status})).collect::<Vec<_>>(),
        "invariants": contract.invariants.iter().map(|i| json!({
            "name": i.name, "status": i.status, "description": i.description, "live_only": i.is_live_only(),
        })).collect::<Vec<_>>(),
        "undocumented_fields": contract.undocumented_fields().iter().map(|(status, path)| json!({
            "status": status, "path": path,
        })).collect::<Vec<_>>(),
    })
}

fn write_human(contract: &Contract, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  {} {}  ({})",
        contract.name,
        contract.method,
        contract.path,
        credential(&contract.auth)
    )?;
    writeln!(out, "  {}", contract.title)?;
    writeln!(out, "  statuses:")?;
    for response in &contract.responses {
        writeln!(out, "    {}  {}", response.status, response.description)?;
    }
    writeln!(out, "  scenarios:")?;
    for scenario in &contract.scenarios {
        let aliases = if scenario.aliases.is_empty() {
            String::new()
        } else {
            format!(" (alias {})", scenario.aliases.join(", "))
        };
        let note = scenario
            .off_contract
            .as_deref()
            .map(|why| format!("  OFF-CONTRACT: {why}"))
            .unwrap_or_default();
        writeln!(
            out,
            "    {:<7} {}{aliases}{note}",
            scenario.name, scenario.status
        )?;
    }
    if !contract.examples.is_empty() {
        let names: Vec<String> = contract
            .examples
            .iter()
            .map(|e| format!("{} ({})", e.name, e.status))
            .collect();
        writeln!(out, "  more examples: {}", names.join(", "))?;
    }
    if contract.invariants.is_empty() {
        writeln!(out, "  invariants: none")?;
    } else {
        writeln!(out, "  invariants:")?;
    }
    for invariant in &contract.invariants {
        let when = if invariant.is_live_only() {
            "live responses only"
        } else {
            "always"
        };
        writeln!(
            out,
            "    {:<30} {} ({when})",
            invariant.name, invariant.description
        )?;
    }
    let undocumented = contract.undocumented_fields();
    if !undocumented.is_empty() {
        writeln!(
            out,
            "  sent by the real system, not in its document (x-undocumented):"
        )?;
        for (status, path) in undocumented {
            writeln!(out, "    {status}  {path}")?;
        }
    }
    writeln!(out)
}

/// An OpenAPI document, JSON or YAML (by its extension, else JSON first).
fn read_openapi(path: &std::path::Path) -> Result<Value, CliError> {
    let yaml = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if !yaml {
        return crate::input::read_json(path);
    }
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        what: path.display().to_string(),
        source,
    })?;
    serde_norway::from_str::<Value>(&text)
        .map_err(|e| CliError::Usage(format!("{} is not valid YAML: {e}", path.display())))
}

/// `contracts import`: the contract is built and loaded in memory first; only
/// a contract that loads is written.
fn import_contract(args: &ImportArgs, out: &mut dyn Write) -> Result<RunOutcome, CliError> {
    let document = read_openapi(&args.document)?;
    let imported = crate::openapi::import(&document, &args.operation, args.name.as_deref())?;
    let file = format!("{}.schema.json", imported.name);
    let text = |value: &Value| serde_json::to_string_pretty(value).map(|t| t + "\n");
    let schema_text = text(&imported.schema).map_err(|e| CliError::Write(e.into()))?;
    let fixture_texts: Vec<(String, String)> = imported
        .fixtures
        .iter()
        .map(|(path, body)| Ok((path.clone(), text(body)?)))
        .collect::<Result<_, serde_json::Error>>()
        .map_err(|e| CliError::Write(e.into()))?;
    session_schemas::Registry::from_sources([session_schemas::ContractSource {
        file: file.clone(),
        schema: schema_text.clone(),
        fixtures: fixture_texts.clone(),
    }])
    .map_err(|e| CliError::Usage(format!("the imported contract does not load: {e}")))?;
    let fixtures_dir = args.out.join("fixtures").join(&imported.name);
    let write = |path: std::path::PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|source| CliError::WriteFile { path, source })
    };
    std::fs::create_dir_all(&fixtures_dir).map_err(|source| CliError::WriteFile {
        path: fixtures_dir.clone(),
        source,
    })?;
    write(args.out.join(&file), &schema_text)?;
    for (path, text) in &fixture_texts {
        write(fixtures_dir.join(path), text)?;
    }
    let said = (|| {
        writeln!(
            out,
            "wrote {} and {} fixture{} in {}",
            args.out.join(&file).display(),
            fixture_texts.len(),
            if fixture_texts.len() == 1 { "" } else { "s" },
            fixtures_dir.display()
        )?;
        for default in &imported.defaults {
            writeln!(out, "  check: {default}")?;
        }
        Ok(())
    })();
    said.map_err(CliError::Write)?;
    Ok(RunOutcome::Conformant)
}

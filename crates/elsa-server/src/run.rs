//! `elsa-server run FILE...`: runs a workflow file once, without a server or a database file.
//!
//! The files are imported and published into a throwaway in-memory runtime — the same code path
//! the API takes — and one of them is executed. Stdout carries the `WriteLine` lines and nothing
//! else (logs go to stderr); the exit code tells how the run ended.

use anyhow::{Context, bail};
use elsa_engine::{Engine, EngineOptions, SystemClock, TimeOrderedIds};
use elsa_model::{VersionOptions, WorkflowSubStatus};
use elsa_runtime::{ExecuteRequest, Runtime, parse_definition_file};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// What `run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub files: Vec<PathBuf>,
    /// Workflow input as a JSON object.
    pub input: Option<String>,
    /// Which definition to run (default: the first file's).
    pub definition_id: Option<String>,
    pub until_end: bool,
}

/// Exit code of a finished run.
pub const EXIT_FINISHED: u8 = 0;
/// Exit code of a run that suspended (bookmarks pending).
pub const EXIT_SUSPENDED: u8 = 3;
/// Exit code of a run that faulted or was cancelled.
pub const EXIT_FAULTED: u8 = 4;

/// Bounds `--until-end` for workflows whose bookmarks recreate themselves (timers, cron).
const MAX_RESUMPTIONS: usize = 1_000;

pub async fn run(args: RunArgs) -> anyhow::Result<u8> {
    let input = parse_input(args.input.as_deref())?;
    let stdout: elsa_runtime::ConsoleSink = Arc::new(|line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    });
    let runtime = Runtime::in_memory(
        Engine::new(EngineOptions::default()),
        Arc::new(SystemClock),
        Arc::new(TimeOrderedIds::new()),
        stdout,
    )
    .await?;
    let mut first = None;
    for file in &args.files {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let json = parse_definition_file(&bytes).with_context(|| file.display().to_string())?;
        let saved = runtime
            .import_published(&json)
            .await
            .with_context(|| file.display().to_string())?;
        tracing::debug!(
            "Imported {} as definition {} version {}",
            file.display(),
            saved.definition.definition_id,
            saved.definition.version
        );
        first.get_or_insert(saved.definition.definition_id);
    }
    let Some(definition_id) = args.definition_id.or(first) else {
        bail!("no workflow file was given");
    };
    let outcome = runtime
        .execute(
            &definition_id,
            ExecuteRequest {
                version_options: Some(VersionOptions::Published),
                input: input.clone(),
                ..ExecuteRequest::default()
            },
        )
        .await?;
    // Dispatched children and the like are queued work; with no worker here, do it now.
    runtime.run_due_work().await?;
    let outcome = if args.until_end {
        let outcome = runtime
            .resume_until_end(outcome, &input, MAX_RESUMPTIONS)
            .await?;
        runtime.run_due_work().await?;
        outcome
    } else {
        outcome
    };
    // The work may have resumed the instance (a dispatched child it waited for).
    let instance = runtime
        .instances()
        .get(&outcome.instance.id)
        .await?
        .map_or(outcome.instance, |(instance, _)| instance);
    let state = &instance.workflow_state;
    for incident in &state.incidents {
        tracing::error!(
            "Activity {} faulted: {}",
            incident.activity_id,
            incident.message
        );
    }
    Ok(exit_code(state.sub_status))
}

fn parse_input(input: Option<&str>) -> anyhow::Result<Map<String, Value>> {
    match input.map(serde_json::from_str::<Value>).transpose() {
        Ok(None | Some(Value::Null)) => Ok(Map::new()),
        Ok(Some(Value::Object(input))) => Ok(input),
        Ok(Some(_)) => bail!("--input must be a JSON object"),
        Err(e) => bail!("--input is not valid JSON: {e}"),
    }
}

fn exit_code(sub_status: WorkflowSubStatus) -> u8 {
    match sub_status {
        WorkflowSubStatus::Finished => EXIT_FINISHED,
        WorkflowSubStatus::Faulted | WorkflowSubStatus::Cancelled => EXIT_FAULTED,
        _ => EXIT_SUSPENDED,
    }
}

//! `elsa-server config check`: the effective settings, each with where it came from, so an
//! operator can see why a pod uses SQLite or which file was (not) mounted. Secrets are masked:
//! connection strings print through `DbSettings`' masking `Display`, the API key only as present.

use super::database::{ConnectionOrigin, ModuleDb};
use super::{Loaded, NoticeLevel};
use elsa_api::cors::AllowedOrigins;

pub fn render_check(loaded: &Loaded) -> String {
    let settings = &loaded.settings;
    let environment = &settings.environment;
    let mut lines = vec![
        format!(
            "Environment: {}  ({})",
            environment.value, environment.origin
        ),
        format!("Content root: {}", settings.content_root.display()),
        "Configuration files:".to_owned(),
    ];
    for file in &loaded.files {
        let state = if file.loaded { "loaded" } else { "not found" };
        lines.push(format!("  {}: {state}", file.path.display()));
    }
    let addrs: Vec<String> = settings
        .listen
        .addrs
        .iter()
        .map(|a| format!("http://{a}"))
        .collect();
    lines.push(format!(
        "Listen: {}  ({})",
        addrs.join(", "),
        settings.listen.origin
    ));
    let log_level = &settings.log_level;
    lines.push(format!(
        "Log level: {}  ({})",
        log_level.value, log_level.origin
    ));
    let log_format = &settings.log_format;
    lines.push(format!(
        "Log format: {}  ({})",
        log_format.value, log_format.origin
    ));
    lines.push(match loaded.configuration.entry(&super::keys::API_KEY) {
        Some(entry) => format!(
            "API key: configured  ({}, from {})",
            entry.key, entry.source
        ),
        None => "API key: not configured".to_owned(),
    });
    lines.extend(identity_lines(loaded));
    let cors = &settings.cors_origins;
    let origins = match &cors.value {
        AllowedOrigins::Any => "any origin".to_owned(),
        AllowedOrigins::List(list) => list
            .iter()
            .map(|o| o.to_str().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    lines.push(format!(
        "CORS allowed origins: {origins}  ({})",
        cors.origin
    ));
    let studio = &settings.studio_path;
    let installed = if crate::studio::is_installed(&studio.value) {
        "installed"
    } else {
        "not installed; run: elsa-server studio install"
    };
    lines.push(format!(
        "Studio: {} ({installed})  ({})",
        studio.value.display(),
        studio.origin
    ));
    lines.extend(runtime_lines(&settings.runtime_settings));
    lines.extend(super::http::lines(&settings.http));
    for module in settings.modules() {
        lines.push(String::new());
        lines.extend(module_lines(module));
    }
    if !loaded.notices.is_empty() {
        lines.push(String::new());
        lines.push("Notices:".to_owned());
        for notice in &loaded.notices {
            let level = match notice.level {
                NoticeLevel::Info => "info",
                NoticeLevel::Warn => "warning",
            };
            lines.push(format!("  {level}: {}", notice.message));
        }
    }
    lines.push(String::new());
    lines.join("\n")
}

/// A duration as `config check` shows it.
pub(super) fn secs(d: &std::time::Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// `label: value  (origin)`, a line per row.
pub(super) fn rows(rows: &[(&str, String, &super::Origin)]) -> Vec<String> {
    rows.iter()
        .map(|(label, value, origin)| format!("{label}: {value}  ({origin})"))
        .collect()
}

fn runtime_lines(runtime: &super::RuntimeSettings) -> Vec<String> {
    let rows_of_runtime = [
        (
            "Node id",
            runtime.node_id.value.clone(),
            &runtime.node_id.origin,
        ),
        (
            "Engine threads",
            runtime.engine_threads.value.to_string(),
            &runtime.engine_threads.origin,
        ),
        (
            "Background worker slots",
            runtime.workers.value.to_string(),
            &runtime.workers.origin,
        ),
        (
            "Run time budget",
            secs(&runtime.max_run_duration.value),
            &runtime.max_run_duration.origin,
        ),
        (
            "Activity executions per run",
            runtime.max_activity_executions.value.to_string(),
            &runtime.max_activity_executions.origin,
        ),
        (
            "Journal entries per run",
            runtime.max_journal_entries.value.to_string(),
            &runtime.max_journal_entries.origin,
        ),
        (
            "Journal bytes per run",
            bytes(runtime.max_journal_bytes.value),
            &runtime.max_journal_bytes.origin,
        ),
        (
            "Activity records per run",
            runtime.max_activity_records.value.to_string(),
            &runtime.max_activity_records.origin,
        ),
        (
            "Workflow state size",
            bytes(runtime.max_state_size.value),
            &runtime.max_state_size.origin,
        ),
        (
            "Memory of runs awaiting their commits",
            bytes(runtime.max_uncommitted_run_memory.value),
            &runtime.max_uncommitted_run_memory.origin,
        ),
        (
            "Work lease",
            secs(&runtime.lease.value),
            &runtime.lease.origin,
        ),
        (
            "Attempts before dead-lettering",
            runtime.max_attempts.value.to_string(),
            &runtime.max_attempts.origin,
        ),
        (
            "HTTP request timeout",
            secs(&runtime.http_timeout.value),
            &runtime.http_timeout.origin,
        ),
        (
            "Shutdown delay",
            secs(&runtime.shutdown_delay.value),
            &runtime.shutdown_delay.origin,
        ),
        (
            "Shutdown timeout",
            secs(&runtime.shutdown_timeout.value),
            &runtime.shutdown_timeout.origin,
        ),
    ];
    let mut lines = rows(&rows_of_runtime);
    lines.push(match &runtime.finished_instance_ttl {
        Some(ttl) => format!(
            "Retention: finished instances deleted after {}  ({}), swept every {}",
            secs(&ttl.value),
            ttl.origin,
            secs(&runtime.sweep_interval.value)
        ),
        None => {
            "Retention: finished instances are kept (Elsa:Retention:FinishedInstanceTtl is not set)"
                .to_owned()
        }
    });
    lines
}

/// A size in bytes, in MiB or KiB when it is a whole number of them.
pub(super) fn bytes(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    match n {
        0 => "0 bytes".to_owned(),
        n if n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

fn identity_lines(loaded: &Loaded) -> Vec<String> {
    let identity = &loaded.settings.identity;
    let presence = |key: &super::keys::Key| match loaded.configuration.entry(key) {
        Some(entry) => format!("configured  ({}, from {})", entry.key, entry.source),
        None => "not configured".to_owned(),
    };
    let mut lines = vec![
        format!(
            "Identity enabled: {}  ({})",
            identity.enabled.value, identity.enabled.origin
        ),
        format!(
            "Token signing key: {}",
            match loaded.configuration.entry(&super::keys::SIGNING_KEY) {
                Some(_) => presence(&super::keys::SIGNING_KEY),
                None => "not configured: one is generated once per database and stored in Elsa_ServerSecrets, shared by every node".to_owned(),
            }
        ),
        format!(
            "Token issuer: {}  ({}); audience: {}  ({})",
            identity.issuer.value,
            identity.issuer.origin,
            identity.audience.value,
            identity.audience.origin
        ),
        format!(
            "Token lifetimes: access {}s  ({}); refresh {}s  ({})",
            identity.access_token_lifetime.value.as_secs(),
            identity.access_token_lifetime.origin,
            identity.refresh_token_lifetime.value.as_secs(),
            identity.refresh_token_lifetime.origin
        ),
        format!(
            "Admin user: {}  ({}); password: {}",
            identity.admin_user.value,
            identity.admin_user.origin,
            presence(&super::keys::ADMIN_PASSWORD)
        ),
        format!(
            "Lockout after failed authentications: {} per client address  ({}); {} per user name  ({}); within {} s  ({})",
            identity.lockout_per_address.value,
            identity.lockout_per_address.origin,
            identity.lockout_per_user.value,
            identity.lockout_per_user.origin,
            identity.lockout_window.value.as_secs_f64(),
            identity.lockout_window.origin
        ),
    ];
    let refusals = loaded.settings.production_refusals();
    if !refusals.is_empty() {
        lines.push("A Production start would be refused:".to_owned());
        lines.extend(refusals.iter().map(|r| format!("  - {r}")));
    }
    lines
}

fn module_lines(module: &ModuleDb) -> [String; 4] {
    let connection = match &module.connection {
        ConnectionOrigin::Named {
            key,
            source,
            chosen_by,
            expanded,
            ..
        } => {
            let mut text = format!("{key}, from {source}; chosen by {chosen_by}");
            for variable in expanded {
                text.push_str(&format!("; $({variable}) expanded from the environment"));
            }
            text
        }
        ConnectionOrigin::Composed { keys } => {
            let parts: Vec<String> = keys
                .iter()
                .map(|(key, source)| format!("{key} ({source})"))
                .collect();
            format!("composed from {}", parts.join(", "))
        }
        ConnectionOrigin::Default => "default: no connection string configured".to_owned(),
    };
    let (provider, auto_migrate) = (&module.provider, &module.auto_migrate);
    [
        format!("{} module", module.module.name()),
        format!("  Provider: {}  ({})", provider.value, provider.origin),
        format!("  Connection: {}  ({connection})", module.db),
        format!(
            "  AutoMigrate: {}  ({})",
            auto_migrate.value, auto_migrate.origin
        ),
    ]
}

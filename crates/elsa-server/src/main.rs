use clap::Parser;
use elsa_server::cli::{Cli, Command, ConfigCommand, StudioCommand};
use elsa_server::databases::ModuleDatabases;
use elsa_server::run::RunArgs;
use elsa_server::{config, logging, migrate, run, serve, studio};
use std::collections::HashMap;
use std::process::ExitCode;

/// mimalloc: the engine allocates many small records per step, where glibc's malloc cost more
/// than the engine's own work (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Run {
        files,
        input,
        definition_id,
        until_end,
    }) = cli.command
    {
        // A one-off run reads no configuration and opens no configured database.
        let _log = logging::init("Warning", false);
        return run_files(RunArgs {
            files,
            input,
            definition_id,
            until_end,
        });
    }
    if let Some(Command::Config {
        command: ConfigCommand::Reference,
    }) = &cli.command
    {
        // Needs no configuration, so it works where loading it fails.
        print!("{}", config::reference());
        return ExitCode::SUCCESS;
    }
    let content_root = match cli
        .content_root
        .clone()
        .map_or_else(std::env::current_dir, Ok)
    {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("cannot determine the content root: {e}");
            return ExitCode::FAILURE;
        }
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let loaded = match config::load(&content_root, &env, &cli.overrides()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Config {
        command: ConfigCommand::Check,
    }) = &cli.command
    {
        print!("{}", config::render_check(&loaded));
        return ExitCode::SUCCESS;
    }

    let settings = &loaded.settings;
    let _log = logging::init(
        &settings.log_level.value,
        settings.log_format.value.eq_ignore_ascii_case("json"),
    );
    for notice in &loaded.notices {
        notice.log();
    }
    for line in loaded.provider_log_lines() {
        tracing::info!("{line}");
    }
    let studio_dir = &loaded.settings.studio_path.value;
    if let Some(Command::Studio {
        command: StudioCommand::Install { from },
    }) = &cli.command
    {
        return match install_studio(studio_dir, from.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if cli.install_studio
        && let Err(e) = install_studio(studio_dir, None)
    {
        // The API does not need the Studio: say why it is missing and serve anyway.
        tracing::error!("The Studio could not be installed: {e}");
    }

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let databases = ModuleDatabases::open(&loaded.settings).await?;
        match cli.command {
            Some(Command::Migrate { module, check }) => {
                let code = migrate::run(&databases, module, check).await;
                databases.close().await;
                code
            }
            _ => serve::run(loaded.settings, databases).await.map(|()| 0),
        }
    });
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn install_studio(
    dir: &std::path::Path,
    from: Option<&std::path::Path>,
) -> Result<(), studio::install::InstallError> {
    if !studio::is_installed(dir) {
        tracing::info!(
            "Installing {}@{} into {}",
            studio::PACKAGE,
            studio::VERSION,
            dir.display()
        );
    }
    match studio::install::install(dir, from)? {
        studio::install::Outcome::AlreadyInstalled => {
            tracing::info!("The Studio is installed in {}", dir.display())
        }
        studio::install::Outcome::Installed { files } => tracing::info!(
            "Installed the Studio ({files} files, integrity checked) in {}",
            dir.display()
        ),
    }
    Ok(())
}

fn run_files(args: RunArgs) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run::run(args)));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

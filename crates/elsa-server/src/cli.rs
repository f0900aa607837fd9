//! The command line: `elsa-server [serve] | migrate | config check | run FILE... | studio install`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "elsa-server",
    version,
    about = "An Elsa Workflows 3 compatible workflow server"
)]
pub struct Cli {
    /// Addresses to listen on, e.g. `http://127.0.0.1:18080` (like ASP.NET's --urls).
    #[arg(long, global = true)]
    pub urls: Option<String>,
    /// Where appsettings*.json are read from (default: the working directory).
    #[arg(long, global = true)]
    pub content_root: Option<PathBuf>,
    /// Before serving, install the Studio into Elsa:Studio:Path if it is not there (as
    /// `studio install` does); the API is served even when that fails.
    #[arg(long)]
    pub install_studio: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations, then exit.
    Migrate {
        /// Only this module: management or runtime.
        #[arg(long)]
        module: Option<elsa_store::Module>,
        /// Apply nothing; exit 1 when migrations are pending.
        #[arg(long)]
        check: bool,
    },
    /// Run a workflow file once on a throwaway in-memory database: WriteLine output goes to
    /// stdout; exit code 0 = finished, 3 = suspended, 4 = faulted or cancelled.
    Run {
        /// Workflow definition JSON files; all are imported and published.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Workflow input, a JSON object.
        #[arg(long)]
        input: Option<String>,
        /// The definition to run (default: the first file's).
        #[arg(long)]
        definition_id: Option<String>,
        /// Resume every pending bookmark until the workflow finishes or none is left.
        #[arg(long)]
        until_end: bool,
    },
    /// The Elsa Studio served at `/`.
    Studio {
        #[command(subcommand)]
        command: StudioCommand,
    },
    /// Inspect configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings and where each comes from; exit 1 on a misconfiguration.
    Check,
    /// Print every configuration key the server reads, with its environment variable, type,
    /// default and meaning, as Markdown (docs/configuration.md).
    Reference,
}

#[derive(Debug, Subcommand)]
pub enum StudioCommand {
    /// Fetch the pinned Studio package with npm, check its sha512 integrity and unpack it into
    /// Elsa:Studio:Path (default data/studio/<version>); does nothing when it is installed.
    Install {
        /// Use this tarball of the package instead of asking npm.
        #[arg(long)]
        from: Option<PathBuf>,
    },
}

impl Cli {
    /// Command-line configuration overrides, in .NET key form.
    pub fn overrides(&self) -> Vec<(String, String)> {
        self.urls
            .iter()
            .map(|u| ("urls".to_string(), u.clone()))
            .collect()
    }
}

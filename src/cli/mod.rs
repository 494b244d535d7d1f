//! The command line: argument parsing and rendering only; the work is in the library.

pub mod bench;
pub mod completions;
pub mod fields;
pub mod run;
pub mod simulate;
pub mod test;
pub mod watch;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: usage or input error.
pub const EXIT_USAGE: u8 = 2;

const ABOUT: &str = "Run Elasticsearch ingest pipelines offline, and test them like `elastic-package test pipeline`";

const LONG_ABOUT: &str = "\
Run Elasticsearch ingest pipelines offline, and test them like `elastic-package test pipeline`:
same test files, same comparison with `-expected.json` golden files, same `--generate` format,
plus field validation and field coverage. No Elasticsearch, no Docker.

Exit codes:
  0  everything passed
  1  a test failed (or, for `run`, a document failed in the pipeline)
  2  usage or input error: bad arguments, a pipeline that does not load (unknown processor or
     option, invalid Painless), a malformed input, config or golden file; for `simulate`, a
     malformed request or Elasticsearch's 400 answer (printed as Elasticsearch prints it)

`simulate` exits 0 whenever it writes a response, also one with failed documents in it.";

/// `pipette`: command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "pipette", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Folder of GeoIP databases (`GeoLite2-City.mmdb`, …) [default: MaxMind's test databases,
    /// shipped inside pipette]
    #[arg(long, global = true, value_name = "DIR")]
    pub geoip_dir: Option<PathBuf>,

    /// When to use colours (`auto` honours NO_COLOR and whether the output is a terminal)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pipeline tests: compare outputs with `-expected.json` goldens, or write them
    #[command(long_about = test::TEST_LONG_ABOUT)]
    Test(test::TestArgs),
    /// Run one pipeline over documents and print the results
    #[command(long_about = run::RUN_LONG_ABOUT)]
    Run(run::RunArgs),
    /// Answer an Elasticsearch `_ingest/pipeline/_simulate` request body offline
    #[command(long_about = simulate::SIMULATE_LONG_ABOUT)]
    Simulate(simulate::SimulateArgs),
    /// Lint fields.yml files against package-spec, or print a dataset's resolved fields
    Fields(fields::FieldsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionsArgs),
    /// Benchmark pipelines: documents per second against the JSON floor, slowest processors
    Bench(bench::BenchArgs),
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorWhen {
    /// Whether to colour output written to stdout.
    pub fn for_stdout(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
                    && anstream::AutoStream::choice(&std::io::stdout())
                        != anstream::ColorChoice::Never
            }
        }
    }
}

/// Stack size of the thread that does the work and of rayon's workers.
pub const WORK_STACK_SIZE: usize = crate::harness::run::THREAD_STACK_SIZE;

/// Parses the arguments, runs the command, and returns its exit code. The work runs on a thread
/// with a [`WORK_STACK_SIZE`] stack.
pub fn main() -> ExitCode {
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(WORK_STACK_SIZE)
        .build_global();
    let worker = std::thread::Builder::new()
        .name("pipette".into())
        .stack_size(WORK_STACK_SIZE)
        .spawn(run_cli);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        // A panic has already printed its message.
        Ok(Err(_)) => ExitCode::from(101),
        // No thread could be started: run here, with the default stack.
        Err(_) => ExitCode::from(run_cli()),
    }
}

/// On SIGINT/SIGTERM, removes the temporary files of goldens being written, then exits with
/// 130 (the shell's code for an interrupt); goldens stay old or new, never partial.
fn install_signal_cleanup() {
    let _ = ctrlc::set_handler(|| {
        crate::harness::golden::abandon_writes();
        std::process::exit(130);
    });
}

fn run_cli() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    if matches!(&cli.command, Command::Test(t) if t.generate) {
        install_signal_cleanup();
    }
    let resources = pipette_resources(&cli);
    match &cli.command {
        Command::Test(args) => test::execute(args, &cli, &resources),
        Command::Run(args) => run::execute(args, &cli, &resources),
        Command::Fields(args) => fields::execute(args, &cli),
        Command::Completions(args) => completions::execute(args),
        Command::Simulate(args) => simulate::execute(args, &resources),
        Command::Bench(args) => bench::execute(args, &resources),
    }
}

fn pipette_resources(cli: &Cli) -> crate::Resources {
    match &cli.geoip_dir {
        Some(d) => crate::Resources::with_geoip_dir(Some(d.clone())),
        None => crate::Resources::new(),
    }
}

/// Prints `error: message` on stderr and returns the usage/input exit code.
pub fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

//! `pipette completions SHELL`: a completion script for the shell, on stdout.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// `pipette completions` arguments.
#[derive(Debug, Args)]
#[command(after_help = "\
Install, for example:
  pipette completions bash > ~/.local/share/bash-completion/completions/pipette
  pipette completions zsh  > ~/.zfunc/_pipette      # with fpath+=(~/.zfunc) before compinit
  pipette completions fish > ~/.config/fish/completions/pipette.fish")]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the completion script; returns the exit code.
pub fn execute(args: &CompletionsArgs) -> u8 {
    use std::io::Write;
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "pipette", &mut buf);
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(&buf).and_then(|_| out.flush());
    0
}

//! The test harness: `elastic-package test pipeline`, offline. Discovery (this repository's layout
//! and elastic-package's), test configs, running, comparison and diffs, golden files, reports.
//!
//! ```no_run
//! use pipette::harness::{TestOptions, discover, run_suite};
//! let suite = discover(std::path::Path::new(".")).unwrap();
//! let report = run_suite(&suite, &TestOptions::default(), &pipette::Resources::new());
//! std::process::exit(report.exit_code());
//! ```

pub mod bench;
pub mod clock;
pub mod compare;
pub mod config;
pub mod coverage;
pub mod diff;
pub mod discover;
pub mod golden;
pub mod input;
pub mod report;
pub mod result;
pub mod routing;
pub mod run;
pub mod stream;
pub mod trace;
pub mod watch;

pub use clock::Clock;
pub use config::{Skip, TestConfig};
pub use discover::{Dataset, Layout, Suite, discover};
pub use result::{Outcome, RunReport, Summary, TestFileResult};
pub use run::{TestOptions, default_ecs_dir, run_dataset, run_event, run_suite};

use crate::error::LoadError;
use std::path::{Path, PathBuf};

/// An error the harness reports: a bad input file (named), or a pipeline that does not load.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A malformed or unreadable input, config, golden or package file.
    #[error("{}: {message}", file.display())]
    Input {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A pipeline that does not load.
    #[error(transparent)]
    Load(Box<LoadError>),
}

impl From<LoadError> for HarnessError {
    fn from(e: LoadError) -> Self {
        HarnessError::Load(Box::new(e))
    }
}

impl HarnessError {
    /// An error about one file.
    pub fn input(file: &Path, message: impl Into<String>) -> Self {
        HarnessError::Input {
            file: file.to_path_buf(),
            message: message.into(),
        }
    }
}
